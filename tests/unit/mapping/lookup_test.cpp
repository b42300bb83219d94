// lookup: the ID cross-reference rule, forward (toRemote) and reverse (toLocal), missing ids,
// on_missing, a failing store (its error class passes through) and the trace.
#include <map>
#include <tuple>

#include "helpers.h"

namespace qiao::mapping::test {
namespace {

// An in-memory cross-reference; `broken` makes every call fail like a locked store.
class FakeXref : public XrefResolver {
 public:
  void add(std::string entity, std::string system, std::string local, std::string remote) {
    to_remote_[{entity, system, local}] = remote;
    to_local_[{entity, system, remote}] = local;
  }
  Result<std::optional<std::string>> toRemote(std::string_view e, std::string_view s,
                                              std::string_view id) const override {
    return find(to_remote_, e, s, id);
  }
  Result<std::optional<std::string>> toLocal(std::string_view e, std::string_view s,
                                             std::string_view id) const override {
    return find(to_local_, e, s, id);
  }
  bool broken = false;
  mutable int calls = 0;

 private:
  using Key = std::tuple<std::string, std::string, std::string>;
  Result<std::optional<std::string>> find(const std::map<Key, std::string>& m, std::string_view e,
                                          std::string_view s, std::string_view id) const {
    ++calls;
    if (broken) return Error::transient(ErrorCode::kStoreBusy, "database is locked");
    auto it = m.find(Key{e, s, id});
    if (it == m.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  std::map<Key, std::string> to_remote_, to_local_;
};

const char* kMapping =
    "mapping: t\nkey: orderId\nrules:\n"
    "  - {to: FCustId, from: customerId, lookup: {entity: customer, system: k3cloud}, ref: FNumber}\n"
    "  - {to: FBillNo, from: orderId}\n";

struct Mapped {
  Status status;
  std::string json;
  FieldErrors errors;
  Trace trace;
};

Mapped map(const MappingPlan& p, const std::string& in, const XrefResolver* xref,
           Direction d = Direction::kForward, bool trace = false) {
  Mapped m;
  Document doc, out;
  EXPECT_TRUE(parseJson(in, doc).ok()) << in;
  ApplyOptions o;
  o.xref = xref;
  o.errors = &m.errors;
  o.trace = trace ? &m.trace : nullptr;
  m.status = apply(p, doc.root(), out, d, o);
  m.json = toJson(out.root());
  return m;
}

TEST(MappingLookup, ForwardMapsLocalIdToRemoteAndReverseBack) {
  auto p = plan(kMapping);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->nonInvertible().empty());  // a lookup is invertible
  FakeXref x;
  x.add("customer", "k3cloud", "C-001", "CUST0042");
  x.add("customer", "other", "C-001", "WRONG");
  Mapped f = map(*p, R"({"orderId":"SO-1","customerId":"C-001"})", &x);
  ASSERT_TRUE(f.status.ok()) << f.status.error().message;
  EXPECT_EQ(f.json, R"({"FCustId":{"FNumber":"CUST0042"},"FBillNo":"SO-1"})");
  Mapped r = map(*p, f.json, &x, Direction::kReverse);
  ASSERT_TRUE(r.status.ok()) << r.status.error().message;
  EXPECT_EQ(r.json, R"({"customerId":"C-001","orderId":"SO-1"})");
}

TEST(MappingLookup, NumberIdsAreLookedUpByTheirText) {
  auto p = plan("mapping: t\nrules:\n  - {to: c, from: id, lookup: {entity: customer, system: k3}}\n");
  FakeXref x;
  x.add("customer", "k3", "1001", "K-1001");
  EXPECT_EQ(map(*p, R"({"id":1001})", &x).json, R"({"c":"K-1001"})");
  Mapped bad = map(*p, R"({"id":{"a":1}})", &x);
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_EQ(bad.errors[0].message, "expected an id");
}

TEST(MappingLookup, UnknownIdIsAPermanentFieldErrorNamingEntitySystemAndValue) {
  auto p = plan(kMapping);
  FakeXref x;
  Mapped f = map(*p, R"({"orderId":"SO-1","customerId":"C-001"})", &x);
  ASSERT_FALSE(f.status.ok());
  EXPECT_EQ(f.status.error().code, ErrorCode::kMappingError);
  EXPECT_EQ(f.status.error().klass, ErrorClass::kPermanent);
  ASSERT_EQ(f.errors.size(), 1u);
  EXPECT_EQ(f.errors[0].message, "no cross-reference for customer 'C-001' in k3cloud");
  EXPECT_EQ(f.errors[0].business_key, "SO-1");
  EXPECT_EQ(f.errors[0].source, "customerId");
  EXPECT_EQ(f.errors[0].target, "FCustId");
  EXPECT_NE(f.status.error().message.find("no cross-reference for customer 'C-001' in k3cloud"),
            std::string::npos);
  Mapped r = map(*p, R"({"FCustId":{"FNumber":"K9"}})", &x, Direction::kReverse);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].message, "no cross-reference for k3cloud customer 'K9'");
}

TEST(MappingLookup, WithoutAResolverItIsAFieldError) {
  auto p = plan(kMapping);
  Mapped f = map(*p, R"({"orderId":"SO-1","customerId":"C-001"})", nullptr);
  ASSERT_FALSE(f.status.ok());
  ASSERT_EQ(f.errors.size(), 1u);
  EXPECT_EQ(f.errors[0].message, "lookup needs the gateway's ID cross-reference");
  // the old overloads have no resolver either
  FieldErrors errs;
  EXPECT_EQ(run(*p, R"({"customerId":"C-001"})", Direction::kForward, &errs).substr(0, 3), "ERR");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].message, "lookup needs the gateway's ID cross-reference");
}

TEST(MappingLookup, StoreFailureKeepsItsErrorClassAndIsNotAMappingError) {
  auto p = plan("mapping: t\nrules:\n"
                "  - {to: a, from: x, lookup: {entity: customer, system: k3cloud}}\n"
                "  - {to: b, from: y, lookup: {entity: material, system: k3cloud}}\n"
                "  - {to: c, from: z, decimal: {}}\n");
  FakeXref x;
  x.broken = true;
  Mapped f = map(*p, R"({"x":"C1","y":"M1","z":"bad"})", &x, Direction::kForward, true);
  ASSERT_FALSE(f.status.ok());
  EXPECT_EQ(f.status.error().klass, ErrorClass::kTransient);
  EXPECT_EQ(f.status.error().code, ErrorCode::kStoreBusy);
  EXPECT_NE(f.status.error().message.find("database is locked"), std::string::npos);
  EXPECT_EQ(x.calls, 1);  // the record is retried whole: no second call
  ASSERT_GE(f.trace.size(), 1u);
  EXPECT_NE(f.trace[0].error.find("database is locked"), std::string::npos) << f.trace[0].error;
}

TEST(MappingLookup, OnMissingKeepAndNull) {
  auto p = plan("mapping: t\nrules:\n"
                "  - {to: a, from: x, lookup: {entity: customer, system: k3, on_missing: keep}}\n"
                "  - {to: b, from: x, lookup: {entity: customer, system: k3, on_missing: null}}\n"
                "  - {to: c, from: absent, lookup: {entity: customer, system: k3}}\n");
  FakeXref x;
  Mapped f = map(*p, R"({"x":"C-9"})", &x);
  ASSERT_TRUE(f.status.ok()) << f.status.error().message;
  EXPECT_EQ(f.json, R"({"a":"C-9","b":null})");  // an absent source is not looked up
  EXPECT_EQ(x.calls, 2);
}

TEST(MappingLookup, TraceShowsTheLookup) {
  auto p = plan(kMapping);
  FakeXref x;
  x.add("customer", "k3cloud", "C-001", "CUST0042");
  Mapped f = map(*p, R"({"orderId":"SO-1","customerId":"C-001"})", &x, Direction::kForward, true);
  ASSERT_TRUE(f.status.ok());
  ASSERT_EQ(f.trace.size(), 2u);
  EXPECT_EQ(f.trace[0].target, "FCustId");
  EXPECT_EQ(f.trace[0].how, "lookup customer -> k3cloud id");
  EXPECT_EQ(f.trace[0].value, R"({"FNumber":"CUST0042"})");
  ASSERT_EQ(f.trace[0].sources.size(), 1u);
  EXPECT_EQ(f.trace[0].sources[0].value, "\"C-001\"");
  Mapped r = map(*p, f.json, &x, Direction::kReverse, true);
  ASSERT_GE(r.trace.size(), 1u);
  EXPECT_EQ(r.trace[0].how, "unwrap FNumber, lookup k3cloud customer -> local id");
}

TEST(MappingLookup, LoadErrors) {
  auto err = [](const std::string& rule) {
    auto p = loadMappingText("mapping: t\nrules:\n  - " + rule + "\n", "t.yaml");
    return p.ok() ? std::string("OK") : p.error().message;
  };
  EXPECT_EQ(err("{to: a, from: x, lookup: {entity: customer}}"),
            "t.yaml:3:30: rules[0].lookup: expected a map {entity, system, on_missing}");
  EXPECT_EQ(err("{to: a, from: x, lookup: {entity: c, system: k3, on_missing: skip}}"),
            "t.yaml:3:66: rules[0].lookup.on_missing: expected error, keep or null");
  EXPECT_EQ(err("{to: a, from: x, lookup: {entity: c, system: k3, sytem: k3}}"),
            "t.yaml:3:54: rules[0].lookup: unknown key 'sytem'; did you mean 'system'?");
  EXPECT_NE(err("{to: a, from: x, map: {A: B}, lookup: {entity: c, system: k3}}")
                .find("only one conversion per rule"),
            std::string::npos);
}

}  // namespace
}  // namespace qiao::mapping::test
