#include "k3_schema.h"

#include "k3_common.h"

namespace qiao::sim::k3 {
namespace {

FieldDef text(std::string key, std::string label = "", bool required = false) {
  return {std::move(key), std::move(label), FieldKind::kText, "", required};
}
FieldDef num(std::string key, std::string label = "", bool required = false) {
  return {std::move(key), std::move(label), FieldKind::kNumber, "", required};
}
FieldDef date(std::string key, std::string label = "", bool required = false) {
  return {std::move(key), std::move(label), FieldKind::kDate, "", required};
}
FieldDef flag(std::string key, std::string label = "") {
  return {std::move(key), std::move(label), FieldKind::kBool, "", false};
}
FieldDef ref(std::string key, std::string form, std::string label, bool required = false) {
  return {std::move(key), std::move(label), FieldKind::kRef, std::move(form), required};
}

// The fields every bill and base-data header carries, maintained by the simulator.
void addSystemFields(std::vector<FieldDef>& f, const std::string& status_field) {
  f.push_back(text(status_field, "数据状态"));
  f.push_back(date("FCreateDate", "创建日期"));
  f.push_back(date("FModifyDate", "修改日期"));
  f.push_back(date("FApproveDate", "审核日期"));
}

FormDef baseData(std::string id, std::string label, std::string key_field, std::string prefix,
                 std::vector<FieldDef> extra = {}) {
  FormDef f{std::move(id), std::move(label), std::move(key_field), "FNumber", "FDocumentStatus",
            std::move(prefix), 4, true, {}};
  std::vector<FieldDef> h{text("FNumber", "编码"), text("FName", "名称", true),
                          text("FForbidStatus", "禁用状态")};
  for (auto& e : extra) h.push_back(std::move(e));
  addSystemFields(h, f.status_field);
  f.entities.push_back({"", f.label, false, std::move(h)});
  return f;
}

FormDef saleOrder() {
  FormDef f{"SAL_SaleOrder", "销售订单", "FID", "FBillNo", "FDocumentStatus", "XSDD", 6, false, {}};
  std::vector<FieldDef> h{
      text("FBillNo", "单据编号"), ref("FBillTypeID", "BOS_BillType", "单据类型", true),
      date("FDate", "日期", true), ref("FSaleOrgId", "ORG_Organizations", "销售组织", true),
      ref("FCustId", "BD_Customer", "客户", true), ref("FSaleDeptId", "BD_Department", "销售部门"),
      text("FSaleGroupId", "销售组"), ref("FSalerId", "BD_Saler", "销售员"),
      ref("FReceiveId", "BD_Customer", "收货方"), ref("FSettleId", "BD_Customer", "结算方"),
      ref("FChargeId", "BD_Customer", "付款方"), text("FReceiveAddress", "收货方地址"),
      text("FHeadDeliveryWay", "交货方式"), text("FNote", "备注"),
      text("FNetOrderBillNo", "网店订单编号"), num("FNetOrderBillId", "网店订单ID"),
      flag("FISINIT", "期初"), flag("FIsMobile", "来自移动"), text("FLinkMan", "联系人"),
      text("FLinkPhone", "联系电话")};
  addSystemFields(h, f.status_field);
  f.entities.push_back({"", f.label, false, std::move(h)});
  f.entities.push_back(
      {"FSaleOrderFinance", "财务信息", false,
       {ref("FSettleCurrId", "BD_Currency", "结算币别", true), flag("FIsIncludedTax", "是否含税"),
        flag("FIsPriceExcludeTax", "价外税"), text("FExchangeTypeId", "汇率类型"),
        num("FExchangeRate", "汇率"), ref("FRecConditionId", "BD_RecCondition", "收款条件"),
        ref("FSettleModeId", "BD_SETTLETYPE", "结算方式"), text("FPriceListId", "价目表"),
        text("FDiscountListId", "折扣表"), num("FBillTaxAmount", "税额"),
        num("FBillAmount", "金额"), num("FBillAllAmount", "价税合计")}});
  f.entities.push_back(
      {"FSaleOrderEntry", "订单明细", true,
       {ref("FMaterialId", "BD_MATERIAL", "物料编码", true), ref("FUnitID", "BD_UNIT", "销售单位"),
        num("FQty", "销售数量", true), num("FPrice", "单价"), num("FTaxPrice", "含税单价"),
        num("FEntryTaxRate", "税率%"), num("FDiscountRate", "折扣率%"), flag("FIsFree", "是否赠品"),
        date("FDeliveryDate", "要货日期", true),
        ref("FStockOrgId", "ORG_Organizations", "库存组织"),
        ref("FSettleOrgIds", "ORG_Organizations", "结算组织"),
        ref("FSupplyOrgId", "ORG_Organizations", "供应组织"), text("FOwnerTypeId", "货主类型"),
        ref("FOwnerId", "ORG_Organizations", "货主"), text("FReserveType", "预留类型"),
        text("FEntryNote", "备注"), text("FMtoNo", "计划跟踪号"), text("FLot", "批号"),
        ref("FSOStockId", "BD_STOCK", "仓库"), num("FAmount", "金额"), num("FTaxAmount", "税额"),
        num("FAllAmount", "价税合计"), num("FDeliQty", "累计发货数量"),
        num("FStockOutQty", "累计出库数量"), num("FRemainOutQty", "剩余未出数量"),
        num("FInvoiceQty", "累计开票数量"), num("FReceiveAmount", "累计收款金额")}});
  f.entities.push_back({"FSaleOrderPlan", "收款计划", true,
                        {flag("FNeedRecAdvance", "是否预收"), text("FReceiveType", "收款类型"),
                         num("FRecAdvanceRate", "预收比例%"), num("FRecAdvanceAmount", "预收金额"),
                         date("FMustDate", "到期日"), num("FRecAmount", "应收金额")}});
  return f;
}

FormDef customer() {
  FormDef f = baseData(
      "BD_Customer", "客户", "FCUSTID", "CUST",
      {text("FShortName", "简称"), ref("FCreateOrgId", "ORG_Organizations", "创建组织", true),
       ref("FUseOrgId", "ORG_Organizations", "使用组织"), text("FCOUNTRY", "国家"),
       text("FPROVINCIAL", "地区"), text("FADDRESS", "通讯地址"), text("FZIP", "邮政编码"),
       text("FWEBSITE", "公司网址"), text("FTEL", "联系电话"), text("FFAX", "传真"),
       text("FTAXREGISTERCODE", "纳税登记号"), text("FSOCIALCRECODE", "统一社会信用代码"),
       text("FCustTypeId", "客户类别"), text("FGroup", "客户分组"),
       ref("FTRADINGCURRID", "BD_Currency", "结算币别"),
       ref("FSETTLETYPEID", "BD_SETTLETYPE", "结算方式"),
       ref("FRECCONDITIONID", "BD_RecCondition", "收款条件"), text("FPRICELISTID", "价目表"),
       ref("FSELLER", "BD_Saler", "销售员"), num("FTaxRate", "默认税率"), text("FInvoiceType", "发票类型"), flag("FIsGroup", "集团客户"),
       flag("FIsDefPayer", "默认付款方"), text("FDescription", "描述")});
  f.entities.push_back({"FT_BD_CUSTCONTACT", "地址信息", true,
                        {text("FNUMBER1", "地点编码"), text("FNAME1", "地点名称"),
                         text("FADDRESS1", "通讯地址"), text("FMOBILE", "移动电话"),
                         flag("FIsDefaultConsignee", "默认收货地点"),
                         flag("FIsDefaultSettle", "默认开票地点"),
                         flag("FIsDefaultPayer", "默认付款地点"), flag("FIsUsed", "启用")}});
  f.entities.push_back({"FT_BD_CUSTLOCATION", "地点信息", true, {text("FBizAddress", "地址")}});
  f.entities.push_back({"FT_BD_CUSTBANK", "银行信息", true,
                        {text("FOPENBANKNAME", "开户银行"), text("FBANKCODE", "银行账号"),
                         text("FACCOUNTNAME", "账户名称"),
                         ref("FCURRENCYID", "BD_Currency", "币别"), flag("FISDEFAULT1", "默认")}});
  return f;
}

FormDef receiveBill() {
  FormDef f{"AR_RECEIVEBILL", "收款单", "FID", "FBillNo", "FDOCUMENTSTATUS", "SKD", 8, false, {}};
  std::vector<FieldDef> h{
      text("FBillNo", "单据编号"), ref("FBillTypeID", "BOS_BillType", "单据类型", true),
      date("FDATE", "业务日期", true), text("FCONTACTUNITTYPE", "往来单位类型"),
      ref("FCONTACTUNIT", "BD_Customer", "往来单位", true), text("FPAYUNITTYPE", "付款单位类型"),
      ref("FPAYUNIT", "BD_Customer", "付款单位"), ref("FCURRENCYID", "BD_Currency", "币别", true),
      ref("FPAYORGID", "ORG_Organizations", "收款组织", true),
      ref("FSETTLEORGID", "ORG_Organizations", "结算组织"),
      ref("FSALEORGID", "ORG_Organizations", "销售组织"),
      ref("FSALEDEPTID", "BD_Department", "销售部门"), ref("FSALEERID", "BD_Saler", "销售员"),
      ref("FSETTLECUR", "BD_Currency", "结算币别"), num("FEXCHANGERATE", "汇率"),
      text("FBUSINESSTYPE", "业务类型"), text("FCancelStatus", "作废状态"),
      text("FWRITTENOFFSTATUS", "核销状态"), num("FREALRECAMOUNTFOR", "实收金额"),
      num("FRECEIVEAMOUNTFOR", "收款金额"), text("FREMARK", "备注"), flag("FISINIT", "期初")};
  addSystemFields(h, f.status_field);
  f.entities.push_back({"", f.label, false, std::move(h)});
  f.entities.push_back(
      {"FRECEIVEBILLENTRY", "收款单明细", true,
       {ref("FSETTLETYPEID", "BD_SETTLETYPE", "结算方式"),
        ref("FPURPOSEID", "CN_RECPAYPURPOSE", "收款用途"), num("FRECTOTALAMOUNTFOR", "应收金额"),
        num("FRECAMOUNTFOR_E", "收款金额"), num("FREALRECAMOUNTFOR_D", "实收金额"),
        num("FSETTLEDISTAMOUNTFOR", "现金折扣"), num("FHANDLINGCHARGEFOR", "手续费"),
        num("FOVERUNDERAMOUNTFOR", "长短款"), text("FACCOUNTID", "我方银行账号"),
        text("FOPPOSITEBANKACCOUNT", "对方银行账号"), text("FOPPOSITECCOUNTNAME", "对方账户名称"),
        text("FSETTLENO", "结算号"), date("FPOSTDATE", "登账日期", true),
        text("FCOMMENT", "备注"), text("FSALEORDERNO", "销售订单号"),
        num("FSaleOrderID", "销售订单内码"), num("FORDERENTRYID", "销售订单分录内码"),
        ref("FMATERIALID", "BD_MATERIAL", "物料编码"), num("FWRITTENOFFAMOUNTFOR", "已核销金额")}});
  f.entities.push_back({"FRECEIVEBILLSRCENTRY", "源单明细", true,
                        {text("FSRCBILLTYPEID", "源单类型"), text("FSRCBILLNO", "源单编号"),
                         num("FSRCBILLID", "源单内码"), num("FSRCROWID", "源单行内码"),
                         num("FPLANRECAMOUNT", "计划收款金额"),
                         num("FREALRECAMOUNT", "本次收款金额"),
                         num("FAFTTAXTOTALAMOUNT", "价税合计")}});
  return f;
}

std::vector<FormDef> buildForms() {
  std::vector<FormDef> v;
  v.push_back(saleOrder());
  v.push_back(customer());
  v.push_back(receiveBill());
  v.push_back(baseData("ORG_Organizations", "组织机构", "FORGID", "ORG"));
  v.push_back(baseData("BD_Currency", "币别", "FCURRENCYID", "PRE", {text("FCODE", "货币代码")}));
  v.push_back(baseData("BD_MATERIAL", "物料", "FMATERIALID", "MAT",
                       {text("FSpecification", "规格型号"),
                        ref("FBaseUnitId", "BD_UNIT", "基本单位")}));
  v.push_back(baseData("BD_Saler", "销售员", "FID", "EMP"));
  v.push_back(baseData("BD_Department", "部门", "FDEPTID", "BM"));
  v.push_back(baseData("BOS_BillType", "单据类型", "FBILLTYPEID", "BT"));
  v.push_back(baseData("BD_UNIT", "计量单位", "FUNITID", "U"));
  v.push_back(baseData("BD_SETTLETYPE", "结算方式", "FID", "JSFS"));
  v.push_back(baseData("BD_RecCondition", "收款条件", "FID", "SKTJ"));
  v.push_back(baseData("CN_RECPAYPURPOSE", "收付款用途", "FID", "SFKYT"));
  v.push_back(baseData("BD_STOCK", "仓库", "FSTOCKID", "CK"));
  return v;
}

nlohmann::json named(std::initializer_list<std::pair<const char*, const char*>> rows) {
  auto out = nlohmann::json::array();
  for (const auto& [n, name] : rows) out.push_back({{"FNumber", n}, {"FName", name}});
  return out;
}

}  // namespace

const FieldDef* EntityDef::field(std::string_view key) const {
  for (const auto& f : fields)
    if (iequals(f.key, key)) return &f;
  return nullptr;
}

const EntityDef* FormDef::entity(std::string_view key) const {
  for (size_t i = 1; i < entities.size(); ++i)
    if (iequals(entities[i].key, key)) return &entities[i];
  return nullptr;
}

const FieldDef* FormDef::headerField(std::string_view key, const EntityDef** owner) const {
  for (const auto& e : entities) {
    if (e.is_entry) continue;
    if (const auto* f = e.field(key)) {
      if (owner) *owner = &e;
      return f;
    }
  }
  return nullptr;
}

const FieldDef* FormDef::entryField(std::string_view key, const EntityDef** owner) const {
  for (const auto& e : entities) {
    if (!e.is_entry) continue;
    if (const auto* f = e.field(key)) {
      if (owner) *owner = &e;
      return f;
    }
  }
  return nullptr;
}

const std::vector<FormDef>& allForms() {
  static const std::vector<FormDef> forms = buildForms();
  return forms;
}

const FormDef* findForm(std::string_view id) {
  for (const auto& f : allForms())
    if (iequals(f.id, id)) return &f;
  return nullptr;
}

nlohmann::json seedDocuments() {
  using nlohmann::json;
  json s = json::object();
  s["ORG_Organizations"] = named({{"100", "蓝海机械有限公司"}, {"101", "蓝海机械华东销售公司"}});
  s["BD_Currency"] = named({{"PRE001", "人民币"}, {"PRE002", "香港元"}, {"PRE003", "欧元"},
                            {"PRE004", "日本日圆"}, {"PRE005", "新台币"}, {"PRE006", "英镑"},
                            {"PRE007", "美元"}});
  const char* codes[] = {"CNY", "HKD", "EUR", "JPY", "TWD", "GBP", "USD"};
  for (size_t i = 0; i < 7; ++i) s["BD_Currency"][i]["FCODE"] = codes[i];
  s["BOS_BillType"] = named({{"XSDD01_SYS", "标准销售订单"}, {"SKDLX01_SYS", "销售收款单"},
                             {"SKDLX02_SYS", "其他业务收款单"}});
  s["BD_UNIT"] = named({{"Pcs", "个"}, {"Box", "箱"}, {"kg", "千克"}, {"Set", "套"}, {"m", "米"}});
  s["BD_MATERIAL"] = named({{"M001", "数控车床主轴"}, {"M002", "液压油缸"},
                            {"M003", "精密轴承6205"}, {"M004", "伺服电机1.5kW"},
                            {"M005", "不锈钢法兰DN50"}});
  for (auto& m : s["BD_MATERIAL"]) m["FBaseUnitId"] = {{"FNumber", "Pcs"}};
  s["BD_Customer"] = named({{"C100001", "苏州华东精密机械有限公司"},
                            {"C100002", "宁波北仑模具有限责任公司"},
                            {"C100003", "已禁用测试客户"}});
  for (auto& c : s["BD_Customer"]) {
    c["FCreateOrgId"] = {{"FNumber", "100"}};
    c["FUseOrgId"] = {{"FNumber", "100"}};
  }
  s["BD_Customer"][0]["FTAXREGISTERCODE"] = "91320594MA1X2Y3Z4K";
  s["BD_Customer"][2]["FForbidStatus"] = "B";
  s["BD_Saler"] = named({{"EMP001", "张伟"}, {"EMP002", "李娜"}});
  s["BD_Department"] = named({{"BM001", "销售部"}, {"BM002", "华东销售部"}});
  s["BD_SETTLETYPE"] = named({{"JSFS01_SYS", "现金"}, {"JSFS04_SYS", "电汇"}});
  s["BD_RecCondition"] = named({{"NET30", "月结30天"}, {"COD", "货到付款"}});
  s["CN_RECPAYPURPOSE"] = named({{"SFKYT01_SYS", "销售收款"}, {"SFKYT02_SYS", "预收款"}});
  s["BD_STOCK"] = named({{"CK001", "成品仓"}, {"CK002", "原料仓"}});
  return s;
}

}  // namespace qiao::sim::k3
