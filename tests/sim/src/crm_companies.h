// Deterministic, realistic Chinese company master data for seeding simulators: the same
// (seed, index) always gives the same company, and distinct indexes below kCompanyUniverse
// never share a name or a tax register code. Simulators seeded from the same seed share the
// companies of the shared range, which is how the CRM and K/3 sides get an overlap:
//   index in [0, kCrmOnlyBase)            companies both systems may hold
//   index in [kCrmOnlyBase, kK3OnlyBase)  CRM-only companies (crm seed: kCrmOnlyBase + i)
//   index in [kK3OnlyBase, universe)      K/3-only companies (k3 seed: kK3OnlyBase + i)
#pragma once

#include <cstdint>
#include <string>

namespace qiao::sim::crm {

constexpr uint64_t kCrmOnlyBase = 1'000'000;
constexpr uint64_t kK3OnlyBase = 2'000'000;
constexpr uint64_t kCompanyUniverse = 3'000'000;

struct Company {
  std::string name;             // 苏州华东精密机械有限公司 / 华东精密机械（苏州）有限公司
  std::string shortName;        // 华东精密机械
  std::string taxRegisterCode;  // 18-character 统一社会信用代码 with valid check characters
  std::string province, city, district, address, zip;
  std::string phone, fax;             // landline with the city's area code: 0512-66881234
  std::string contactName, contactMobile, contactTitle;
  std::string bankName, bankAccount;  // 中国工商银行苏州分行, 19 digits
  std::string grade;                  // A, B, C
  std::string currency;               // CNY mostly
  std::string paymentTerms;           // NET30 ...
  std::string salesPersonCode;        // EMP0001..EMP0050
};

Company makeCompany(uint64_t seed, uint64_t index);

// The same company's name as another system may have typed it, for first-sync matching:
// 1 = half-width brackets, 2 = 有限公司 <-> 有限责任公司, 3 = a space after the city.
// Returns the name unchanged when the variant does not apply to it.
std::string nameVariant(const Company& c, int kind);

// The check character of an 18-character unified social credit code (GB 32100-2015) for
// its first 17 characters; '\0' if they hold a character outside the code's alphabet.
char creditCodeCheck(const std::string& first17);

}  // namespace qiao::sim::crm
