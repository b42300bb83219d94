#include "crm_companies.h"

#include <array>
#include <cstdio>

namespace qiao::sim::crm {
namespace {

struct City {
  const char *province, *city, *shortName, *area, *division, *zip, *district1, *district2;
};

// Manufacturing cities with their area code, administrative division code and post code.
constexpr std::array<City, 32> kCities{{
    {"江苏省", "苏州市", "苏州", "0512", "320500", "215000", "工业园区", "吴中区"},
    {"江苏省", "无锡市", "无锡", "0510", "320200", "214000", "新吴区", "滨湖区"},
    {"江苏省", "常州市", "常州", "0519", "320400", "213000", "武进区", "新北区"},
    {"江苏省", "南京市", "南京", "025", "320100", "210000", "江宁区", "浦口区"},
    {"江苏省", "南通市", "南通", "0513", "320600", "226000", "崇川区", "通州区"},
    {"浙江省", "宁波市", "宁波", "0574", "330200", "315000", "北仑区", "鄞州区"},
    {"浙江省", "杭州市", "杭州", "0571", "330100", "310000", "萧山区", "余杭区"},
    {"浙江省", "温州市", "温州", "0577", "330300", "325000", "瓯海区", "龙湾区"},
    {"浙江省", "台州市", "台州", "0576", "331000", "318000", "黄岩区", "路桥区"},
    {"浙江省", "嘉兴市", "嘉兴", "0573", "330400", "314000", "南湖区", "秀洲区"},
    {"浙江省", "绍兴市", "绍兴", "0575", "330600", "312000", "柯桥区", "越城区"},
    {"上海市", "上海市", "上海", "021", "310112", "201100", "闵行区", "嘉定区"},
    {"广东省", "深圳市", "深圳", "0755", "440300", "518000", "宝安区", "龙岗区"},
    {"广东省", "东莞市", "东莞", "0769", "441900", "523000", "长安镇", "虎门镇"},
    {"广东省", "佛山市", "佛山", "0757", "440600", "528000", "顺德区", "南海区"},
    {"广东省", "广州市", "广州", "020", "440100", "510000", "番禺区", "黄埔区"},
    {"广东省", "中山市", "中山", "0760", "442000", "528400", "火炬开发区", "小榄镇"},
    {"山东省", "青岛市", "青岛", "0532", "370200", "266000", "黄岛区", "城阳区"},
    {"山东省", "济南市", "济南", "0531", "370100", "250000", "历城区", "章丘区"},
    {"山东省", "烟台市", "烟台", "0535", "370600", "264000", "芝罘区", "福山区"},
    {"天津市", "天津市", "天津", "022", "120116", "300000", "滨海新区", "西青区"},
    {"北京市", "北京市", "北京", "010", "110115", "100000", "大兴区", "顺义区"},
    {"河北省", "石家庄市", "石家庄", "0311", "130100", "050000", "裕华区", "藁城区"},
    {"河南省", "郑州市", "郑州", "0371", "410100", "450000", "中原区", "管城回族区"},
    {"湖北省", "武汉市", "武汉", "027", "420100", "430000", "东西湖区", "江夏区"},
    {"湖南省", "长沙市", "长沙", "0731", "430100", "410000", "雨花区", "望城区"},
    {"安徽省", "合肥市", "合肥", "0551", "340100", "230000", "蜀山区", "包河区"},
    {"福建省", "厦门市", "厦门", "0592", "350200", "361000", "海沧区", "集美区"},
    {"福建省", "泉州市", "泉州", "0595", "350500", "362000", "晋江市", "丰泽区"},
    {"四川省", "成都市", "成都", "028", "510100", "610000", "双流区", "郫都区"},
    {"重庆市", "重庆市", "重庆", "023", "500112", "400000", "渝北区", "九龙坡区"},
    {"辽宁省", "大连市", "大连", "0411", "210200", "116000", "甘井子区", "金州区"},
}};

constexpr std::array<const char*, 24> kBrand1{"华", "恒", "金", "宏", "新", "永", "德", "瑞",
                                              "东", "中", "海", "鑫", "博", "天", "正", "嘉",
                                              "汇", "启", "长", "亚", "信", "泰", "盛", "通"};
constexpr std::array<const char*, 24> kBrand2{"东", "达", "桥", "远", "创", "盛", "隆", "丰",
                                              "方", "科", "天", "源", "成", "泰", "禾", "通",
                                              "明", "城", "美", "诚", "安", "兴", "力", "宇"};
constexpr std::array<const char*, 32> kIndustries{
    "精密机械", "模具",     "电子科技", "五金制品", "塑胶制品", "自动化设备", "新材料",
    "包装材料", "汽车零部件", "纺织",   "化工",     "光电科技", "轴承",       "液压设备",
    "钢结构",   "电气",     "仪器仪表", "环保科技", "食品机械", "医疗器械",   "金属制品",
    "橡胶制品", "阀门",     "泵业",     "照明电器", "机电设备", "数控设备",   "工业技术",
    "物流设备", "铸造",     "紧固件",   "线缆"};
constexpr std::array<const char*, 3> kForms{"有限公司", "有限责任公司", "股份有限公司"};
// 32 cities x 576 brands x 32 industries x 3 forms x 2 layouts = 2^17 * 27 names.
constexpr uint64_t kNameSpace = 32ull * 576 * 32 * 3 * 2;
static_assert(kNameSpace >= kCompanyUniverse);

constexpr std::array<const char*, 20> kSurnames{"王", "李", "张", "刘", "陈", "杨", "黄",
                                                "赵", "吴", "周", "徐", "孙", "马", "朱",
                                                "胡", "郭", "何", "高", "林", "罗"};
constexpr std::array<const char*, 20> kGiven{"伟", "芳", "娜", "敏", "静", "丽", "强",
                                             "磊", "军", "洋", "勇", "艳", "杰", "娟",
                                             "涛", "明", "超", "秀英", "建华", "志强"};
constexpr std::array<const char*, 5> kTitles{"采购经理", "总经理", "财务经理", "采购员",
                                             "生产主管"};
constexpr std::array<const char*, 20> kMobilePrefixes{
    "138", "139", "137", "136", "135", "150", "151", "152", "158", "159",
    "186", "187", "188", "189", "133", "153", "180", "181", "177", "199"};
constexpr std::array<const char*, 10> kRoads{"星湖街", "长江路", "黄河路", "人民路", "解放路",
                                             "建设路", "工业大道", "科技路", "创业路", "金山路"};
constexpr std::array<const char*, 6> kBanks{"中国工商银行", "中国建设银行", "中国农业银行",
                                            "中国银行", "交通银行", "招商银行"};
constexpr std::array<const char*, 5> kTerms{"NET30", "NET60", "NET90", "COD", "PREPAID"};

uint64_t splitmix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// A small deterministic stream per company.
class Draw {
 public:
  explicit Draw(uint64_t state) : state_(state) {}
  uint64_t next() { return state_ = splitmix(state_); }
  uint64_t below(uint64_t n) { return next() % n; }
  std::string digits(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += static_cast<char>('0' + below(10));
    return s;
  }
 private:
  uint64_t state_;
};

constexpr const char* kCreditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";

int creditValue(char c) {
  for (int i = 0; kCreditAlphabet[i] != '\0'; ++i)
    if (kCreditAlphabet[i] == c) return i;
  return -1;
}

// GB 11714 organisation code check character for 8 digits.
char orgCodeCheck(const std::string& eight) {
  static constexpr int kWeights[8] = {3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 8; ++i) sum += (eight[i] - '0') * kWeights[i];
  int c = 11 - sum % 11;
  return c == 10 ? 'X' : c == 11 ? '0' : static_cast<char>('0' + c);
}

std::string replaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
  return s;
}

bool endsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

char creditCodeCheck(const std::string& first17) {
  static constexpr int kWeights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
  if (first17.size() != 17) return '\0';
  int sum = 0;
  for (int i = 0; i < 17; ++i) {
    int v = creditValue(first17[i]);
    if (v < 0) return '\0';
    sum += v * kWeights[i];
  }
  int c = 31 - sum % 31;
  return kCreditAlphabet[c == 31 ? 0 : c];
}

Company makeCompany(uint64_t seed, uint64_t index) {
  Company c;
  const uint64_t mix = splitmix(seed);
  // A bijection of the name space, so consecutive indexes spread over cities and trades.
  uint64_t p = ((index % kNameSpace) * (2654435761ull % kNameSpace) + mix % kNameSpace) % kNameSpace;
  const City& city = kCities[p % 32];
  p /= 32;
  std::string brand = std::string(kBrand1[p % 24]) + kBrand2[(p / 24) % 24];
  p /= 576;
  std::string industry = kIndustries[p % 32];
  p /= 32;
  std::string form = kForms[p % 3];
  p /= 3;
  bool bracketed = p % 2 == 1;
  c.name = bracketed ? brand + industry + "（" + city.shortName + "）" + form
                     : std::string(city.shortName) + brand + industry + form;
  c.shortName = brand + industry;
  c.province = city.province;
  c.city = city.city;
  c.zip = city.zip;

  // Organisation code: a bijection of the index mod 10^8 (the multiplier is prime to 10).
  uint64_t org = (index * 73939133ull + splitmix(mix) % 100000000ull) % 100000000ull;
  char eight[9];
  std::snprintf(eight, sizeof eight, "%08llu", static_cast<unsigned long long>(org));
  std::string first17 = std::string("91") + city.division + eight + orgCodeCheck(eight);
  c.taxRegisterCode = first17 + creditCodeCheck(first17);

  Draw d(splitmix(mix ^ splitmix(index + 1)));
  c.district = d.below(2) == 0 ? city.district1 : city.district2;
  c.address = c.district + kRoads[d.below(kRoads.size())] + std::to_string(1 + d.below(999)) + "号";
  std::string local_len = std::string(city.area).size() == 3 ? "8" : "7";
  c.phone = std::string(city.area) + "-" + std::to_string(5 + d.below(4)) +
            d.digits(local_len == "8" ? 7 : 6);
  if (d.below(3) == 0) c.fax = std::string(city.area) + "-" + std::to_string(5 + d.below(4)) +
                               d.digits(local_len == "8" ? 7 : 6);
  c.contactName = std::string(kSurnames[d.below(kSurnames.size())]) + kGiven[d.below(kGiven.size())];
  c.contactMobile = std::string(kMobilePrefixes[d.below(kMobilePrefixes.size())]) + d.digits(8);
  c.contactTitle = kTitles[d.below(kTitles.size())];
  c.bankName = std::string(kBanks[d.below(kBanks.size())]) + city.shortName +
               (d.below(2) == 0 ? "分行" : "支行");
  c.bankAccount = std::to_string(1 + d.below(9)) + d.digits(18);
  uint64_t g = d.below(10);
  c.grade = g < 2 ? "A" : g < 7 ? "B" : "C";
  uint64_t cur = d.below(50);
  c.currency = cur < 45 ? "CNY" : cur < 48 ? "USD" : "HKD";
  c.paymentTerms = kTerms[d.below(kTerms.size())];
  char emp[16];
  std::snprintf(emp, sizeof emp, "EMP%04llu", static_cast<unsigned long long>(1 + d.below(50)));
  c.salesPersonCode = emp;
  return c;
}

std::string nameVariant(const Company& c, int kind) {
  const std::string& n = c.name;
  switch (kind) {
    case 1:
      return replaceAll(replaceAll(n, "（", "("), "）", ")");
    case 2:
      if (endsWith(n, "股份有限公司")) return n;
      if (endsWith(n, "有限责任公司")) return n.substr(0, n.size() - std::string("有限责任公司").size()) + "有限公司";
      return n.substr(0, n.size() - std::string("有限公司").size()) + "有限责任公司";
    case 3: {
      std::string city_short = c.city.substr(0, c.city.size() - std::string("市").size());
      if (n.rfind(city_short, 0) != 0) return n;
      return city_short + " " + n.substr(city_short.size());
    }
    default:
      return n;
  }
}

}  // namespace qiao::sim::crm
