// qiao-sim: serves the simulators on 127.0.0.1 until SIGINT/SIGTERM.
//   qiao-sim [--host 127.0.0.1] [--port 9100] [--state-file FILE] [--threads 64]
// Prints one JSON line {"event":"ready","port":N,...} on stdout once listening.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>
#include <memory>
#include <string>

#include "crm_sim.h"
#include "k3_sim.h"
#include "oa_generic_sim.h"
#include "oa_weaver_sim.h"
#include "receiver_sim.h"
#include "sim_server.h"
#include "wecom_sim.h"

namespace {

void usage() {
  std::fprintf(stderr,
               "usage: qiao-sim [--host 127.0.0.1] [--port 9100|0] [--state-file FILE] "
               "[--threads 64]\n"
               "Simulators: /sim/receiver/<name>/... (see docs/simulators.md)\n");
}

bool parseInt(const char* text, int* out) {
  char* end = nullptr;
  long v = std::strtol(text, &end, 10);
  if (!end || *end != '\0' || v < 0 || v > 65535) return false;
  *out = static_cast<int>(v);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  qiao::sim::SimServer::Options opts;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    bool has_value = i + 1 < argc;
    if (a == "--help" || a == "-h") {
      usage();
      return 0;
    } else if (a == "--host" && has_value) {
      opts.host = argv[++i];
    } else if (a == "--port" && has_value) {
      if (!parseInt(argv[++i], &opts.port)) {
        std::fprintf(stderr, "qiao-sim: --port must be 0..65535\n");
        return 2;
      }
    } else if (a == "--threads" && has_value) {
      if (!parseInt(argv[++i], &opts.threads) || opts.threads < 1) {
        std::fprintf(stderr, "qiao-sim: --threads must be a positive number\n");
        return 2;
      }
    } else if (a == "--state-file" && has_value) {
      opts.state_file = argv[++i];
    } else {
      std::fprintf(stderr, "qiao-sim: unknown or incomplete option '%s'\n", a.c_str());
      usage();
      return 2;
    }
  }

  // Signals are taken synchronously by this thread; every server thread inherits the mask.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  qiao::sim::SimServer server(opts);
  server.add(std::make_unique<qiao::sim::ReceiverSim>());
  server.add(std::make_unique<qiao::sim::CrmSim>());
  server.add(std::make_unique<qiao::sim::K3Sim>());
  server.add(std::make_unique<qiao::sim::WecomSim>());
  server.add(std::make_unique<qiao::sim::WeaverSim>());
  server.add(std::make_unique<qiao::sim::OaGenericSim>());
  std::string error;
  if (!server.start(&error)) {
    std::fprintf(stderr, "qiao-sim: %s\n", error.c_str());
    return 1;
  }
  std::string names;
  for (const auto& n : server.names()) names += (names.empty() ? "\"" : ",\"") + n + "\"";
  std::printf("{\"event\":\"ready\",\"host\":\"%s\",\"port\":%d,\"simulators\":[%s]}\n",
              opts.host.c_str(), server.port(), names.c_str());
  std::fflush(stdout);

  while (true) {
    timespec tick{1, 0};
    int sig = sigtimedwait(&set, nullptr, &tick);
    if (sig == SIGINT || sig == SIGTERM) break;
    if (!server.saveState(false, &error)) std::fprintf(stderr, "qiao-sim: %s\n", error.c_str());
  }
  server.stop();
  int rc = 0;
  if (!server.saveState(true, &error)) {
    std::fprintf(stderr, "qiao-sim: %s\n", error.c_str());
    rc = 1;
  }
  std::printf("{\"event\":\"stopped\"}\n");
  std::fflush(stdout);
  return rc;
}
