// Generated BD_Customer master data, drawn from the company universe the CRM simulator uses,
// so both sides can hold the same companies (first-sync matching tests).
#include <cmath>
#include <map>
#include <mutex>
#include <set>

#include "crm_companies.h"
#include "k3_forms.h"

namespace qiao::sim::k3 {
namespace {

constexpr int64_t kMaxSeed = 200000;

std::string currencyNumber(const std::string& code) {
  static const std::map<std::string, std::string> k{{"CNY", "PRE001"}, {"HKD", "PRE002"},
                                                    {"EUR", "PRE003"}, {"JPY", "PRE004"},
                                                    {"TWD", "PRE005"}, {"GBP", "PRE006"},
                                                    {"USD", "PRE007"}};
  auto it = k.find(code);
  return it == k.end() ? "PRE001" : it->second;
}

}  // namespace

json Forms::seedCustomers(int64_t count, uint64_t seed, double overlap, std::string* error) {
  if (count < 1 || count > kMaxSeed) {
    *error = "count must be 1.." + std::to_string(kMaxSeed);
    return nullptr;
  }
  if (!(overlap >= 0 && overlap <= 1)) {
    *error = "overlap_with_crm must be 0..1";
    return nullptr;
  }
  const int64_t shared = std::llround(static_cast<double>(count) * overlap);
  std::vector<crm::Company> companies;
  std::set<std::string> terms, salers;
  for (int64_t i = 0; i < count; ++i) {
    uint64_t index = i < shared ? static_cast<uint64_t>(i) : crm::kK3OnlyBase + static_cast<uint64_t>(i);
    companies.push_back(crm::makeCompany(seed, index));
    if (!companies.back().paymentTerms.empty()) terms.insert(companies.back().paymentTerms);
    if (!companies.back().salesPersonCode.empty()) salers.insert(companies.back().salesPersonCode);
  }
  // The references the customers use exist (so IsVerifyBaseDataField passes).
  std::string ignored;
  json term_rows = json::array(), saler_rows = json::array();
  for (const auto& t : terms)
    if (!lookup("BD_RecCondition", t)) term_rows.push_back({{"FNumber", t}, {"FName", t}});
  for (const auto& s : salers)
    if (!lookup("BD_Saler", s)) saler_rows.push_back({{"FNumber", s}, {"FName", "销售员" + s}});
  if (!term_rows.empty()) addBaseData(*findForm("BD_RecCondition"), term_rows, &ignored);
  if (!saler_rows.empty()) addBaseData(*findForm("BD_Saler"), saler_rows, &ignored);

  FormStore& st = *store("BD_Customer");
  const std::string now = shanghaiNow();
  json numbers = json::array();
  std::unique_lock lock(st.mu);
  for (const auto& c : companies) {
    std::string number;
    do {
      number = paddedNumber("CUST", st.next_number++, 6);
    } while (st.by_number.count(number));
    int64_t id = newId();
    json doc{{"FCUSTID", id},
             {"FNumber", number},
             {"FName", c.name},
             {"FShortName", c.shortName},
             {"FCreateOrgId", {{"FNumber", "100"}}},
             {"FUseOrgId", {{"FNumber", "100"}}},
             {"FTAXREGISTERCODE", c.taxRegisterCode},
             {"FSOCIALCRECODE", c.taxRegisterCode},
             {"FADDRESS", c.address},
             {"FPROVINCIAL", c.province + c.city},
             {"FZIP", c.zip},
             {"FTEL", c.phone},
             {"FFAX", c.fax},
             {"FTRADINGCURRID", {{"FNumber", currencyNumber(c.currency)}}},
             {"FRECCONDITIONID", {{"FNumber", c.paymentTerms}}},
             {"FSELLER", {{"FNumber", c.salesPersonCode}}},
             {"FT_BD_CUSTCONTACT",
              json::array({{{"FEntryID", newEntryId()}, {"FSeq", 1}, {"FNAME1", c.contactName},
                            {"FMOBILE", c.contactMobile}, {"FIsDefaultConsignee", true}}})},
             {"FT_BD_CUSTBANK",
              json::array({{{"FEntryID", newEntryId()}, {"FSeq", 1}, {"FOPENBANKNAME", c.bankName},
                            {"FBANKCODE", c.bankAccount}, {"FACCOUNTNAME", c.name},
                            {"FISDEFAULT1", true}}})},
             {"FDocumentStatus", "C"},
             {"FForbidStatus", "A"},
             {"FCreateDate", now},
             {"FModifyDate", now}};
    numbers.push_back(number);
    st.put(id, std::move(doc));
  }
  return {{"created", count},
          {"shared_with_crm", shared},
          {"first_number", numbers.front()},
          {"last_number", numbers.back()},
          {"total", st.docs.size()}};
}

}  // namespace qiao::sim::k3
