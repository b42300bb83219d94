// The plugin host against real shared libraries built from tests/plugins/*.c.
#include "qiao/plugin/plugin_host.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "qiao/testkit/testkit.h"

namespace qiao::plugin {
namespace {

using nlohmann::json;

std::string variantDir(const std::string& variant) {
  return std::string(QIAO_TEST_PLUGIN_ROOT) + "/" + variant;
}
std::string variantFile(const std::string& variant) {
  return variantDir(variant) + "/" + variant + ".so";
}

Record record(const std::string& key, const std::string& payload,
              const std::string& business_key = "SO-1") {
  Record r;
  r.payload = payload;
  r.entity = "order";
  r.source_system = "crm";
  r.business_key = business_key;
  r.idempotency_key = key;
  r.trace_id = "trace-" + key;
  return r;
}

// A registry holding the echo_sink plugin, and helpers to make its instances.
class EchoPluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto name = loadPlugin(variantFile("echo_sink"), registry_);
    ASSERT_TRUE(name.ok()) << name.error().message;
    ASSERT_EQ(name.value(), "echo_sink");
    desc_ = registry_.find("echo_sink");
    ASSERT_NE(desc_, nullptr);
  }

  std::unique_ptr<sdk::Sink> sink(const std::string& config = R"({"prefix":"p"})") {
    auto s = desc_->make_sink(sdk::InstanceConfig{"e1", config}, sdk::Context{"e1", "/tmp"});
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return s.ok() ? std::move(s).value() : nullptr;
  }
  std::unique_ptr<sdk::Source> source() {
    auto s = desc_->make_source(sdk::InstanceConfig{"e2", R"({"prefix":"q"})"},
                                sdk::Context{"e2", "/tmp"});
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return s.ok() ? std::move(s).value() : nullptr;
  }

  sdk::Registry registry_;
  const sdk::Descriptor* desc_ = nullptr;
};

TEST_F(EchoPluginTest, RegistersDescriptorAndSchema) {
  EXPECT_EQ(desc_->summary, "Echoes records back (test plugin)");
  EXPECT_EQ(desc_->maturity, sdk::Maturity::kAlpha);
  EXPECT_EQ(desc_->origin, variantFile("echo_sink"));
  EXPECT_TRUE(desc_->isSink());
  EXPECT_TRUE(desc_->isSource());
  ASSERT_EQ(desc_->config.size(), 1u);
  const auto& f = desc_->config[0];
  EXPECT_EQ(f.name, "prefix");
  EXPECT_EQ(f.type, sdk::FieldType::kString);
  EXPECT_TRUE(f.required);
  EXPECT_EQ(f.description, "Shown in the health detail");
  EXPECT_EQ(f.example, "demo");
}

TEST_F(EchoPluginTest, DeliverOkReturnsRemoteId) {
  auto s = sink();
  ASSERT_NE(s, nullptr);
  auto d = s->deliver(record("k-42", R"({"id":1})"));
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->remote_id, "echo-k-42");
}

TEST_F(EchoPluginTest, DeliverPermanentError) {
  auto s = sink();
  ASSERT_NE(s, nullptr);
  auto d = s->deliver(record("k1", R"({"id":1,"fail":true})"));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().klass, ErrorClass::kPermanent);
  EXPECT_EQ(d.error().code, ErrorCode::kRemotePermanent);
  EXPECT_NE(d.error().message.find("rejected: fail flag"), std::string::npos) << d.error().message;
  EXPECT_NE(d.error().message.find("echo_sink"), std::string::npos) << d.error().message;
}

TEST_F(EchoPluginTest, DeliverTransientError) {
  auto s = sink();
  ASSERT_NE(s, nullptr);
  auto d = s->deliver(record("k1", R"({"flaky":true})"));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().klass, ErrorClass::kTransient);
  EXPECT_EQ(d.error().code, ErrorCode::kRemoteTransient);
  EXPECT_NE(d.error().message.find("try again"), std::string::npos);
}

TEST_F(EchoPluginTest, PayloadIsEmbeddedAsJsonNotAsString) {
  auto s = sink();
  ASSERT_NE(s, nullptr);
  auto d = s->deliver(record("k7", R"({"qty":3,"lines":[1,2]})", "ECHO-BACK"));
  ASSERT_TRUE(d.ok()) << d.error().message;
  json seen = json::parse(d->remote_id);  // the record_json the plugin received
  ASSERT_TRUE(seen["payload"].is_object()) << d->remote_id;
  EXPECT_EQ(seen["payload"]["qty"], 3);
  EXPECT_EQ(seen["entity"], "order");
  EXPECT_EQ(seen["source_system"], "crm");
  EXPECT_EQ(seen["business_key"], "ECHO-BACK");
  EXPECT_EQ(seen["idempotency_key"], "k7");
  EXPECT_EQ(seen["trace_id"], "trace-k7");

  // Text that is not JSON still reaches the plugin, as a JSON string.
  auto d2 = s->deliver(record("k8", "plain \"text\"", "ECHO-BACK"));
  ASSERT_TRUE(d2.ok()) << d2.error().message;
  json seen2 = json::parse(d2->remote_id);
  ASSERT_TRUE(seen2["payload"].is_string());
  EXPECT_EQ(seen2["payload"], "plain \"text\"");
}

TEST_F(EchoPluginTest, MalformedResultIsPermanentErrorNamingPlugin) {
  auto s = sink();
  ASSERT_NE(s, nullptr);
  auto d = s->deliver(record("k1", "{}", "GARBAGE"));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().klass, ErrorClass::kPermanent);
  EXPECT_EQ(d.error().code, ErrorCode::kPluginError);
  EXPECT_NE(d.error().message.find("plugin 'echo_sink'"), std::string::npos) << d.error().message;
  EXPECT_NE(d.error().message.find("malformed deliver result"), std::string::npos);
}

TEST_F(EchoPluginTest, CreateFailureCarriesPluginReason) {
  auto s = desc_->make_sink(sdk::InstanceConfig{"nope", "{}"}, sdk::Context{"nope", "/tmp"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kPluginError);
  EXPECT_NE(s.error().message.find("instance 'nope'"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("config field prefix is required"), std::string::npos);
}

TEST_F(EchoPluginTest, PollReturnsRecordsAndAdvancesWatermark) {
  auto src = source();
  ASSERT_NE(src, nullptr);
  auto p = src->poll("", 100);
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_EQ(p->records.size(), 2u);
  EXPECT_EQ(p->watermark, "2");
  EXPECT_FALSE(p->more);
  const auto& r = p->records[0];
  EXPECT_EQ(json::parse(r.payload), json::parse(R"({"n":1})"));
  EXPECT_EQ(r.entity, "order");
  EXPECT_EQ(r.source_system, "echo");
  EXPECT_EQ(r.business_key, "E-1");
  EXPECT_EQ(r.idempotency_key, "echo-1");
  EXPECT_EQ(r.trace_id, "t-1");
  EXPECT_EQ(p->records[1].business_key, "E-2");

  auto again = src->poll(p->watermark, 100);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->records.empty());
  EXPECT_EQ(again->watermark, "2");
  EXPECT_FALSE(again->more);

  // max_records reaches the plugin: one at a time, with more=true until the end.
  auto first = src->poll("", 1);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->records.size(), 1u);
  EXPECT_EQ(first->watermark, "1");
  EXPECT_TRUE(first->more);
  auto second = src->poll(first->watermark, 1);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->records.size(), 1u);
  EXPECT_EQ(second->records[0].business_key, "E-2");
  EXPECT_EQ(second->watermark, "2");
  EXPECT_FALSE(second->more);
}

TEST_F(EchoPluginTest, HealthOnSinkAndSource) {
  auto s = sink();
  ASSERT_NE(s, nullptr);
  auto h = s->health();
  EXPECT_TRUE(h.healthy);
  EXPECT_EQ(h.detail, "e1 ok, prefix=p");
  auto src = source();
  ASSERT_NE(src, nullptr);
  EXPECT_TRUE(src->health().healthy);
  EXPECT_EQ(src->health().detail, "e2 ok, prefix=q");
}

TEST_F(EchoPluginTest, AdapterDestructionDestroysInstance) {
  // Same path → same handle as the host's, so this reads the plugin's own counter.
  void* h = dlopen(variantFile("echo_sink").c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(h, nullptr) << dlerror();
  auto live = reinterpret_cast<int (*)()>(dlsym(h, "echo_live_instances"));
  ASSERT_NE(live, nullptr);
  int before = live();
  {
    auto s = sink();
    auto src = source();
    ASSERT_NE(s, nullptr);
    ASSERT_NE(src, nullptr);
    EXPECT_EQ(live(), before + 2);
  }
  EXPECT_EQ(live(), before);
  dlclose(h);  // drops only this test's reference; the host keeps its own
}

TEST_F(EchoPluginTest, ConcurrentDeliverOnOneInstance) {
  auto s = sink();
  ASSERT_NE(s, nullptr);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        auto key = std::to_string(t) + "-" + std::to_string(i);
        auto d = s->deliver(record(key, "{}"));
        if (d.ok() && d->remote_id == "echo-" + key) ok.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 400);
}

TEST(PluginHost, ThreadSafeFalseSerialisesCalls) {
  sdk::Registry registry;
  auto name = loadPlugin(variantFile("echo_serial"), registry);
  ASSERT_TRUE(name.ok()) << name.error().message;
  const auto* desc = registry.find("echo_serial");
  ASSERT_NE(desc, nullptr);
  auto made = desc->make_sink(sdk::InstanceConfig{"s", R"({"prefix":"x"})"}, sdk::Context{});
  ASSERT_TRUE(made.ok()) << made.error().message;
  auto sink = std::move(made).value();
  // echo_serial answers "concurrent call" from the first overlap on, so any missing lock shows.
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        auto d = sink->deliver(record(std::to_string(t) + "-" + std::to_string(i), "{}"));
        if (d.ok()) ok.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 200);
}

struct RefusedCase {
  std::string variant;   // test-plugins/<variant>/
  std::string file;      // the file inside it
  std::string fragment;  // must appear in the message
};

void PrintTo(const RefusedCase& c, std::ostream* os) { *os << c.variant; }

class RefusedPluginTest : public ::testing::TestWithParam<RefusedCase> {};

TEST_P(RefusedPluginTest, IsReportedAndNotRegistered) {
  const auto& c = GetParam();
  sdk::Registry registry;
  auto reports = loadPlugins(variantDir(c.variant), registry);
  ASSERT_EQ(reports.size(), 1u);
  const auto& rep = reports[0];
  std::string path = variantDir(c.variant) + "/" + c.file;
  EXPECT_EQ(rep.path, path);
  EXPECT_FALSE(rep.loaded);
  EXPECT_NE(rep.message.find(path), std::string::npos) << rep.message;
  EXPECT_NE(rep.message.find(c.fragment), std::string::npos) << rep.message;
  EXPECT_TRUE(registry.names().empty());

  auto one = loadPlugin(path, registry);
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(one.error().code, ErrorCode::kPluginError);
  EXPECT_EQ(one.error().message, rep.message);
  EXPECT_TRUE(registry.names().empty());
}

INSTANTIATE_TEST_SUITE_P(
    Variants, RefusedPluginTest,
    ::testing::Values(
        RefusedCase{"bad_version", "bad_version.so", "ABI version 99, this gateway speaks 1"},
        RefusedCase{"no_entry", "no_entry.so",
                    "not a qiao plugin: missing symbol qiao_plugin_entry"},
        RefusedCase{"bad_descriptor", "bad_descriptor.so", "invalid descriptor_json: not valid JSON"},
        RefusedCase{"bad_field_type", "bad_field_type.so",
                    "config field 'blobby': unknown field type 'blob'"},
        RefusedCase{"missing_deliver", "missing_deliver.so",
                    "lacks function deliver (required for kind sink)"},
        RefusedCase{"notaplugin", "notaplugin.so", "cannot load shared library: "}),
    [](const auto& info) { return info.param.variant; });

TEST(PluginHost, MixedDirLoadsGoodAndReportsBad) {
  sdk::Registry registry;
  auto reports = loadPlugins(variantDir("mixed"), registry);
  ASSERT_EQ(reports.size(), 5u);
  std::vector<std::string> files;
  for (const auto& r : reports) files.push_back(r.path.substr(r.path.rfind('/') + 1));
  EXPECT_EQ(files, (std::vector<std::string>{"bad_descriptor.so", "bad_version.so", "echo_sink.so",
                                             "no_entry.so", "notaplugin.so"}));
  for (const auto& r : reports) {
    bool good = r.path.ends_with("/echo_sink.so");
    EXPECT_EQ(r.loaded, good) << r.path << ": " << r.message;
    if (good) {
      EXPECT_EQ(r.name, "echo_sink");
    }
  }
  EXPECT_EQ(registry.names(), std::vector<std::string>{"echo_sink"});
  // The good one works although its neighbours were refused.
  auto s = registry.find("echo_sink")->make_sink(sdk::InstanceConfig{"m", R"({"prefix":"m"})"},
                                                 sdk::Context{});
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto d = s.value()->deliver(record("mk", "{}"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->remote_id, "echo-mk");
}

TEST(PluginHost, NameClashWithBuiltinIsRefused) {
  sdk::Registry registry;
  sdk::Descriptor builtin;
  builtin.name = "http";
  builtin.summary = "built-in";
  ASSERT_TRUE(registry.add(builtin).ok());

  auto reports = loadPlugins(variantDir("clash_builtin"), registry);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_FALSE(reports[0].loaded);
  EXPECT_EQ(reports[0].name, "http");
  EXPECT_NE(reports[0].message.find("plugin name 'http' clashes with a connector already "
                                    "registered by builtin"),
            std::string::npos)
      << reports[0].message;
  EXPECT_NE(reports[0].message.find(variantFile("clash_builtin")), std::string::npos);
  EXPECT_EQ(registry.find("http")->origin, "builtin");
  EXPECT_EQ(registry.find("http")->summary, "built-in");

  auto one = loadPlugin(variantFile("clash_builtin"), registry);
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(one.error().code, ErrorCode::kAlreadyExists);
}

TEST(PluginHost, SecondCopyOfSamePluginClashesWithFirst) {
  sdk::Registry registry;
  ASSERT_TRUE(loadPlugin(variantFile("echo_sink"), registry).ok());
  auto again = loadPlugin(variantDir("mixed") + "/echo_sink.so", registry);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("registered by " + variantFile("echo_sink")),
            std::string::npos)
      << again.error().message;
  EXPECT_EQ(registry.names().size(), 1u);
}

TEST(PluginHost, UnreadableDirIsOneRefusedReport) {
  testkit::TempDir tmp;
  sdk::Registry registry;
  auto reports = loadPlugins(tmp.file("missing"), registry);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_FALSE(reports[0].loaded);
  EXPECT_NE(reports[0].message.find(tmp.file("missing")), std::string::npos);
  EXPECT_TRUE(loadPlugins("", registry).empty());
}

TEST(PluginHost, IgnoresFilesWithoutSoSuffix) {
  testkit::TempDir tmp;
  testkit::writeFile(tmp.file("README.txt"), "not a plugin");
  testkit::writeFile(tmp.file("x.so.txt"), "not a plugin");
  sdk::Registry registry;
  EXPECT_TRUE(loadPlugins(tmp.path(), registry).empty());
}

}  // namespace
}  // namespace qiao::plugin
