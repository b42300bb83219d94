#include "json_io.h"

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <set>

namespace qiao::recon::detail {
namespace {

using Json = nlohmann::json;

Error invalid(std::string msg) { return Error::permanent(ErrorCode::kInvalidArgument, std::move(msg)); }

const char* typeName(const Json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_array()) return "an array";
  return "an object";
}

// Reads the fields of one JSON object, each error naming "<prefix><field>".
class Fields {
 public:
  Fields(const Json& obj, std::string prefix) : obj_(obj), prefix_(std::move(prefix)) {}

  std::string path(std::string_view field) const { return prefix_ + std::string(field); }

  const Json* find(std::string_view field) const {
    auto it = obj_.find(field);
    if (it == obj_.end() || it->is_null()) return nullptr;  // null = absent (lenient senders)
    return &*it;
  }

  Result<std::optional<std::string>> optText(std::string_view field) const {
    const Json* v = find(field);
    if (v == nullptr) return std::optional<std::string>();
    if (!v->is_string()) return invalid(path(field) + ": must be a string, got " + typeName(*v));
    return std::optional<std::string>(v->get<std::string>());
  }
  Result<std::string> text(std::string_view field) const {
    QIAO_ASSIGN_OR_RETURN(auto v, optText(field));
    if (!v || v->empty()) return invalid(path(field) + ": required");
    return *v;
  }
  Result<std::optional<Date>> optDate(std::string_view field) const {
    QIAO_ASSIGN_OR_RETURN(auto v, optText(field));
    if (!v || v->empty()) return std::optional<Date>();
    auto d = parseDate(*v);
    if (!d.ok()) return invalid(path(field) + ": " + d.error().message);
    return std::optional<Date>(*d);
  }
  Result<Date> date(std::string_view field) const {
    QIAO_ASSIGN_OR_RETURN(auto d, optDate(field));
    if (!d) return invalid(path(field) + ": required (YYYY-MM-DD)");
    return *d;
  }
  // Amounts are JSON strings holding exact decimals; a JSON number went through binary
  // floating point somewhere and is refused.
  Result<std::optional<Decimal>> optAmount(std::string_view field, int scale) const {
    const Json* v = find(field);
    if (v == nullptr) return std::optional<Decimal>();
    if (!v->is_string()) {
      return invalid(path(field) + ": must be a decimal string (\"1234.50\"), got " + typeName(*v));
    }
    const auto& s = v->get_ref<const std::string&>();
    auto d = Decimal::fromText(s);
    if (!d.ok()) return invalid(path(field) + ": \"" + s + "\" is not a decimal number");
    if (!(d->round(scale) == *d)) {
      return invalid(path(field) + ": " + s + " has more than " + std::to_string(scale) +
                     " decimals (amounts are never rounded)");
    }
    return std::optional<Decimal>(*d);
  }
  Result<Decimal> amount(std::string_view field, int scale) const {
    QIAO_ASSIGN_OR_RETURN(auto d, optAmount(field, scale));
    if (!d) return invalid(path(field) + ": required");
    return *d;
  }
  Result<std::optional<Purpose>> optPurpose(std::string_view field) const {
    QIAO_ASSIGN_OR_RETURN(auto v, optText(field));
    if (!v || v->empty()) return std::optional<Purpose>();
    if (*v == "sales" || *v == "sale") return std::optional<Purpose>(Purpose::kSale);
    if (*v == "advance") return std::optional<Purpose>(Purpose::kAdvance);
    return invalid(path(field) + ": \"" + *v + "\" is not a purpose (expected sales or advance)");
  }

 private:
  const Json& obj_;
  std::string prefix_;
};

Result<Json> parseObject(std::string_view text, std::string_view what) {
  Json doc = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Error::permanent(ErrorCode::kMalformedJson, std::string(what) + ": not valid JSON");
  if (!doc.is_object()) return invalid(std::string(what) + ": must be a JSON object, got " + typeName(doc));
  return doc;
}

// NET30 -> 30; COD / PREPAID -> 0; anything else: no due date from the terms.
std::optional<int> termDays(const std::string& terms) {
  if (terms == "COD" || terms == "PREPAID") return 0;
  if (terms.size() > 3 && terms.size() <= 6 && terms.compare(0, 3, "NET") == 0) {
    int days = 0;
    for (std::size_t i = 3; i < terms.size(); ++i) {
      if (terms[i] < '0' || terms[i] > '9') return std::nullopt;
      days = days * 10 + (terms[i] - '0');
    }
    return days;
  }
  return std::nullopt;
}

}  // namespace

std::string entryPaymentId(std::string_view payment_id, std::string_view entry_id) {
  std::string id(payment_id);
  id += '#';
  id += entry_id;
  return id;
}

std::string_view canonicalSource(PaymentSource s) { return s == PaymentSource::kK3 ? "k3cloud" : "bank"; }
std::string_view canonicalPurpose(Purpose p) { return p == Purpose::kAdvance ? "advance" : "sales"; }

std::string amountText(const Decimal& d, int scale) { return d.toString(scale); }

Result<ParsedOrder> parseCanonicalOrder(std::string_view json, int scale) {
  QIAO_ASSIGN_OR_RETURN(Json doc, parseObject(json, "order"));
  Fields f(doc, "");
  ParsedOrder out;
  Order& o = out.order;
  QIAO_ASSIGN_OR_RETURN(o.order_no, f.text("orderId"));
  Fields g(doc, "order \"" + o.order_no + "\": ");
  auto pre = [&](Error e) { return invalid("order \"" + o.order_no + "\": " + e.message); };
  QIAO_ASSIGN_OR_RETURN(o.customer_id, g.text("customerCode"));
  QIAO_ASSIGN_OR_RETURN(o.currency, g.text("currency"));
  QIAO_ASSIGN_OR_RETURN(o.amount, g.amount("totalAmount", scale));
  if (o.amount.signum() < 0) return pre(invalid("totalAmount: " + o.amount.toString() + " is negative"));
  QIAO_ASSIGN_OR_RETURN(o.order_date, g.date("orderDate"));
  QIAO_ASSIGN_OR_RETURN(auto erp, g.optText("erpBillNo"));
  o.erp_bill_no = erp.value_or("");
  QIAO_ASSIGN_OR_RETURN(o.planned_receipt_date, g.optDate("plannedReceiptDate"));
  if (!o.planned_receipt_date) {
    QIAO_ASSIGN_OR_RETURN(auto terms, g.optText("paymentTerms"));
    if (terms) {
      if (auto days = termDays(*terms)) o.planned_receipt_date = o.order_date + *days;
    }
  }
  // paidAmount is what reconciliation itself wrote back to the CRM: never read as input.
  QIAO_ASSIGN_OR_RETURN(auto before, g.optAmount("paidBefore", scale));
  if (before) {
    if (before->signum() < 0) return pre(invalid("paidBefore: " + before->toString() + " is negative"));
    o.paid_before = *before;
  }
  QIAO_ASSIGN_OR_RETURN(auto name, g.optText("customerName"));
  out.customer_name = name.value_or("");
  return out;
}

std::string bankRowId(const Payment& p, int scale) {
  std::string text = formatDate(p.date);
  for (const std::string* part : {&p.payer_name, &p.payer_account, &p.currency, &p.remark}) {
    text += '\x1f';
    text += *part;
  }
  text += '\x1f';
  text += p.amount.toString(scale);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string id = "BANK-";
  for (unsigned int i = 0; i < 10 && i < len; ++i) {
    id += kHex[digest[i] >> 4];
    id += kHex[digest[i] & 15];
  }
  return id;
}

Result<ParsedPayment> parseCanonicalPayment(std::string_view json, int scale) {
  QIAO_ASSIGN_OR_RETURN(Json doc, parseObject(json, "payment"));
  ParsedPayment out;
  Fields top(doc, "");
  QIAO_ASSIGN_OR_RETURN(auto given_id, top.optText("paymentId"));
  QIAO_ASSIGN_OR_RETURN(auto given_source, top.optText("source"));
  // A bank row without a transaction number (流水号) is known by a hash of its content.
  const bool hashed_id = (!given_id || given_id->empty()) && given_source && *given_source == "bank";
  if (!hashed_id) {
    QIAO_ASSIGN_OR_RETURN(out.payment_id, top.text("paymentId"));
  }
  const std::string where = hashed_id ? "payment (bank row): " : "payment \"" + out.payment_id + "\": ";
  Fields f(doc, where);
  Payment base;
  QIAO_ASSIGN_OR_RETURN(std::string source, f.text("source"));
  if (source == "k3cloud" || source == "k3") {
    base.source = PaymentSource::kK3;
  } else if (source == "bank") {
    base.source = PaymentSource::kBank;
  } else {
    return invalid(f.path("source") + ": \"" + source + "\" is not a payment source (expected k3cloud or bank)");
  }
  QIAO_ASSIGN_OR_RETURN(base.date, f.date("date"));
  QIAO_ASSIGN_OR_RETURN(base.amount, f.amount("amount", scale));
  if (base.amount.isZero()) return invalid(f.path("amount") + ": must not be 0");
  QIAO_ASSIGN_OR_RETURN(base.currency, f.text("currency"));
  QIAO_ASSIGN_OR_RETURN(auto customer, f.optText("customerCode"));
  if (customer && !customer->empty()) base.customer_id = *customer;
  QIAO_ASSIGN_OR_RETURN(auto payer, f.optText("payerName"));
  base.payer_name = payer.value_or("");
  QIAO_ASSIGN_OR_RETURN(auto account, f.optText("payerAccount"));
  base.payer_account = account.value_or("");
  QIAO_ASSIGN_OR_RETURN(auto remark, f.optText("remark"));
  base.remark = remark.value_or("");
  QIAO_ASSIGN_OR_RETURN(auto purpose, f.optPurpose("purpose"));
  base.purpose = purpose.value_or(Purpose::kSale);
  QIAO_ASSIGN_OR_RETURN(auto fee, f.optAmount("fee", scale));  // checked; the tolerance rule settles fees
  (void)fee;
  QIAO_ASSIGN_OR_RETURN(out.reversal_of, f.optText("reversalOf"));
  if (out.reversal_of && out.reversal_of->empty()) out.reversal_of.reset();
  if (hashed_id) out.payment_id = bankRowId(base, scale);
  if (out.reversal_of && base.amount.signum() > 0) {
    return invalid(f.path("reversalOf") + ": a reversal must have a negative amount, got " + base.amount.toString());
  }

  std::vector<std::string> refs;
  if (const Json* r = f.find("orderRefs")) {
    if (!r->is_array()) return invalid(f.path("orderRefs") + ": must be an array, got " + typeName(*r));
    for (std::size_t i = 0; i < r->size(); ++i) {
      const Json& e = (*r)[i];
      if (!e.is_string()) return invalid(f.path("orderRefs[" + std::to_string(i) + "]") + ": must be a string, got " + typeName(e));
      if (!e.get_ref<const std::string&>().empty()) refs.push_back(e.get<std::string>());
    }
  }

  const Json* allocs = f.find("allocations");
  if (allocs != nullptr && !allocs->is_array()) {
    return invalid(f.path("allocations") + ": must be an array, got " + typeName(*allocs));
  }
  std::size_t n_allocs = allocs == nullptr ? 0 : allocs->size();

  if (n_allocs <= 1) {
    PaymentEntry e;
    e.payment = base;
    e.payment.payment_id = out.payment_id;
    std::optional<std::string> entry_ref;
    if (n_allocs == 1) {
      Fields a((*allocs)[0], where + "allocations[0].");
      if (!(*allocs)[0].is_object()) return invalid(where + "allocations[0]: must be an object");
      QIAO_ASSIGN_OR_RETURN(Decimal amount, a.amount("amount", scale));
      if (!(amount == base.amount)) {
        return invalid(where + "allocations: entries add up to " + amount.toString() + ", amount is " + base.amount.toString());
      }
      QIAO_ASSIGN_OR_RETURN(entry_ref, a.optText("orderRef"));
      QIAO_ASSIGN_OR_RETURN(auto p, a.optPurpose("purpose"));
      if (p) e.payment.purpose = *p;
    }
    if (entry_ref && !entry_ref->empty()) {
      e.payment.source_order_no = *entry_ref;
    } else if (refs.size() == 1) {
      e.payment.source_order_no = refs[0];
    } else {
      // Several linked orders on one unsplit receipt: the remark carries them to the
      // reference rule, which settles each named order in turn.
      for (const std::string& ref : refs) {
        if (e.payment.remark.find(ref) == std::string::npos) e.payment.remark += (e.payment.remark.empty() ? "" : " ") + ref;
      }
    }
    out.entries.push_back(std::move(e));
    return out;
  }

  // A K/3 bill with several entries: one engine payment per entry, each with its own order
  // link, purpose, posting date and comment (the header remark describes the whole bill).
  out.split = true;
  Decimal sum;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < n_allocs; ++i) {
    const std::string at = where + "allocations[" + std::to_string(i) + "]";
    const Json& aj = (*allocs)[i];
    if (!aj.is_object()) return invalid(at + ": must be an object, got " + typeName(aj));
    Fields a(aj, at + ".");
    PaymentEntry e;
    QIAO_ASSIGN_OR_RETURN(auto entry_id, a.optText("entryId"));
    e.entry_id = entry_id && !entry_id->empty() ? *entry_id : std::to_string(i + 1);
    if (!seen.insert(e.entry_id).second) return invalid(at + ".entryId: \"" + e.entry_id + "\" appears twice");
    QIAO_ASSIGN_OR_RETURN(Decimal amount, a.amount("amount", scale));
    auto total = sum.checkedAdd(amount);
    if (!total.ok()) return invalid(at + ".amount: " + amount.toString() + " is too large");
    sum = *total;
    if (amount.isZero()) continue;  // carries no money: nothing to match or count
    e.payment = base;
    e.payment.payment_id = entryPaymentId(out.payment_id, e.entry_id);
    e.payment.amount = amount;
    QIAO_ASSIGN_OR_RETURN(auto ref, a.optText("orderRef"));
    if (ref && !ref->empty()) e.payment.source_order_no = *ref;
    QIAO_ASSIGN_OR_RETURN(auto p, a.optPurpose("purpose"));
    if (p) e.payment.purpose = *p;
    QIAO_ASSIGN_OR_RETURN(auto d, a.optDate("date"));
    if (d) e.payment.date = *d;
    QIAO_ASSIGN_OR_RETURN(auto comment, a.optText("comment"));
    e.payment.remark = comment.value_or("");
    out.entries.push_back(std::move(e));
  }
  if (!(sum == base.amount)) {
    return invalid(where + "allocations: entries add up to " + sum.toString() + ", amount is " + base.amount.toString());
  }
  return out;
}

}  // namespace qiao::recon::detail
