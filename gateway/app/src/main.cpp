// qiao: the gateway binary. `qiao run` serves; the other commands inspect and repair.
#include <cstdio>
#include <cstring>
#include <string>

#include "cli.h"

#ifndef QIAO_VERSION
#define QIAO_VERSION "0.0.0"
#endif

namespace {

void usage(FILE* out) {
  std::fputs(
      "usage: qiao <command> [options]\n"
      "\n"
      "commands:\n"
      "  run --config DIR                 start the gateway\n"
      "  validate --config DIR            check the configuration, print every problem\n"
      "  messages show ID --config DIR    a message with every delivery attempt\n"
      "  messages list --config DIR [--route R] [--status S] [--key K] [--limit N]\n"
      "  dlq list --config DIR [--route R] [--key K] [--limit N]\n"
      "  dlq replay ID --config DIR [--payload FILE] [--reason TEXT]\n"
      "  dlq replay --all --config DIR [--route R] [--key K] [--limit N] [--reason TEXT]\n"
      "  keys create --role admin|operator|finance|ingest --config DIR [--name NAME]\n"
      "  keys list --config DIR\n"
      "  connectors list [--config DIR] [--plugins DIR]\n"
      "  map --mapping FILE --input FILE.json|FILE.ndjson|- [--reverse] [--explain] [--pretty]\n"
      "                                   map records (- = NDJSON on stdin); --explain adds '#'\n"
      "                                   lines: per target field its value, sources and rule\n"
      "  import FILE --job NAME --config DIR\n"
      "                                   import a spreadsheet through an import job now\n"
      "  jobs list --config DIR           jobs and schedules: cron, last run, outcome\n"
      "  jobs run NAME --config DIR       run a job now (import, export, reconcile, recon_report)\n"
      "  recon run --config DIR           match new payments, push changed order states\n"
      "  recon report --month YYYY-MM --config DIR [--out FILE.xlsx]\n"
      "                                   write the month's reconciliation workbook\n"
      "  version\n"
      "\n"
      "common options: --plugins DIR (third-party connector plugins), --data-dir DIR\n"
      "exit codes: 0 ok, 1 invalid config or input, 2 usage, 3 runtime error, 4 not found,\n"
      "            5 some records not mapped (qiao map; the others are printed)\n",
      out);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace qiao::app;
  if (argc < 2) {
    usage(stderr);
    return kExitUsage;
  }
  std::string cmd = argv[1];
  if (cmd == "version" || cmd == "--version") {
    std::printf("qiao %s\n", QIAO_VERSION);
    return kExitOk;
  }
  if (cmd == "help" || cmd == "--help" || cmd == "-h") {
    usage(stdout);
    return kExitOk;
  }
  Args args = parseArgs(argc, argv, 2,
                        {"--all", "--include-replayed", "--json", "--reverse", "--explain", "--pretty",
                         "--verbose"});
  if (cmd == "run") return cmdRun(args);
  if (cmd == "validate") return cmdValidate(args);
  if (cmd == "messages") return cmdMessages(args);
  if (cmd == "dlq") return cmdDlq(args);
  if (cmd == "keys") return cmdKeys(args);
  if (cmd == "connectors") return cmdConnectors(args);
  if (cmd == "map") return cmdMap(args);
  if (cmd == "import") return cmdImport(args);
  if (cmd == "jobs") return cmdJobs(args);
  if (cmd == "recon") return cmdRecon(args);
  std::fprintf(stderr, "qiao: unknown command '%s'\n\n", cmd.c_str());
  usage(stderr);
  return kExitUsage;
}
