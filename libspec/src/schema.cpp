// A validator for the subset of JSON Schema 2020-12 that the tlaunch schemas use
// (https://json-schema.org/draft/2020-12/json-schema-validation). Written here instead of pulling
// in a validator library: Debian 12 packages none for nlohmann::json, and the subset is small.
// tests/unit/launch_spec_test.cpp runs python3-jsonschema over the same good and bad specs to
// check that both validators agree.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "tlaunch/spec/launch_spec.h"

namespace tlaunch::host::spec {

using nlohmann::json;

std::string pointer_append(const std::string& base, const std::string& token) {
  std::string out = base + "/";
  for (char c : token) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

std::string pointer_append(const std::string& base, size_t index) {
  return base + "/" + std::to_string(index);
}

namespace {

// Member names and values of the spec are echoed in messages; a control character in them (a
// "\n" in a member name) must not break the one-issue-per-line format: shown as \n, \t, \xNN.
std::string one_line(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

std::string format_issues(const std::vector<Issue>& issues, const std::string& context) {
  std::string out;
  for (size_t i = 0; i < issues.size(); ++i) {
    if (i != 0) out += "\n";
    if (!context.empty()) out += context + ": ";
    out += one_line(issues[i].path.empty() ? std::string("/") : issues[i].path) + ": " +
           one_line(issues[i].reason);
  }
  return out;
}

namespace {

// "an integer", "a string"... for messages.
std::string kind_of(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::string:
      return "a string";
    case json::value_t::array:
      return "an array";
    case json::value_t::object:
      return "an object";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "an integer";
    case json::value_t::number_float:
      return "a number";
    default:
      return "an unsupported value";
  }
}

bool is_integer(const json& v) {
  if (v.is_number_integer()) return true;
  // JSON Schema: "integer" is any number with a zero fractional part (1.0 included).
  if (v.is_number_float()) {
    double d = v.get<double>();
    return d == static_cast<double>(static_cast<long long>(d));
  }
  return false;
}

bool has_type(const json& v, const std::string& t) {
  if (t == "object") return v.is_object();
  if (t == "array") return v.is_array();
  if (t == "string") return v.is_string();
  if (t == "boolean") return v.is_boolean();
  if (t == "null") return v.is_null();
  if (t == "number") return v.is_number();
  if (t == "integer") return is_integer(v);
  return false;
}

std::string type_phrase(const std::string& t) {
  if (t == "object") return "an object";
  if (t == "array") return "an array";
  if (t == "integer") return "an integer";
  if (t == "null") return "null";
  return "a " + t;
}

// Number of Unicode code points of a UTF-8 string (maxLength counts characters, not bytes).
size_t code_points(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

// JSON equality as JSON Schema defines it for enum/const/uniqueItems (1 == 1.0).
bool json_equal(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  if (a.type() != b.type()) return false;
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (!json_equal(a[i], b[i])) return false;
    return true;
  }
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto jt = b.find(it.key());
      if (jt == b.end() || !json_equal(it.value(), *jt)) return false;
    }
    return true;
  }
  return a == b;
}

std::string short_dump(const json& v) {
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

class Validator {
 public:
  explicit Validator(const json& root) : root_(root) {}

  void check(const json& schema, const json& v, const std::string& path, const std::string& spath,
             std::vector<Issue>& out) {
    if (schema.is_boolean()) {
      if (!schema.get<bool>()) out.push_back({path, "no value is allowed here"});
      return;
    }
    if (!schema.is_object()) {
      out.push_back({path, "schema error at " + spath + ": not an object"});
      return;
    }
    if (++depth_ > 64) {
      out.push_back({path, "schema error at " + spath + ": $ref nesting too deep"});
      --depth_;
      return;
    }
    check_object(schema, v, path, spath, out);
    --depth_;
  }

 private:
  static const std::set<std::string>& known_keywords() {
    static const std::set<std::string> k = {
        "$schema",       "$id",           "$defs",      "$comment", "$ref",
        "title",         "description",   "default",    "examples", "type",
        "enum",          "const",         "properties", "required", "additionalProperties",
        "minProperties", "maxProperties", "items",      "minItems", "maxItems",
        "uniqueItems",   "minLength",     "maxLength",  "pattern",  "minimum",
        "maximum",       "anyOf",         "oneOf",      "readOnly", "deprecated"};
    return k;
  }

  const json* resolve(const std::string& ref) const {
    static const std::string kPrefix = "#/$defs/";
    if (ref.compare(0, kPrefix.size(), kPrefix) != 0) return nullptr;
    auto defs = root_.find("$defs");
    if (defs == root_.end() || !defs->is_object()) return nullptr;
    auto it = defs->find(ref.substr(kPrefix.size()));
    return it == defs->end() ? nullptr : &*it;
  }

  // The alternatives of anyOf/oneOf that accept v's JSON type: the ones whose issues are worth
  // showing when nothing matched.
  bool type_compatible(const json& alt, const json& v) {
    const json* s = &alt;
    for (int i = 0; i < 8 && s->is_object() && s->contains("$ref"); ++i) {
      const json* r = resolve((*s)["$ref"].get<std::string>());
      if (r == nullptr) break;
      s = r;
    }
    if (!s->is_object()) return true;
    if (s->contains("const"))
      return (*s)["const"].type() == v.type() || ((*s)["const"].is_number() && v.is_number());
    auto t = s->find("type");
    if (t == s->end()) return true;
    if (t->is_string()) return has_type(v, t->get<std::string>());
    if (t->is_array())
      for (const auto& x : *t)
        if (x.is_string() && has_type(v, x.get<std::string>())) return true;
    return false;
  }

  bool is_const(const json& alt) const {
    const json* s = &alt;
    if (s->is_object() && s->contains("$ref")) {
      const json* r = resolve((*s)["$ref"].get<std::string>());
      if (r) s = r;
    }
    return s->is_object() && s->contains("const");
  }

  // How many of the members the alternative requires v has.
  size_t required_members_present(const json& alt, const json& v) const {
    const json* s = &alt;
    if (s->is_object() && s->contains("$ref")) {
      const json* r = resolve((*s)["$ref"].get<std::string>());
      if (r) s = r;
    }
    size_t n = 0;
    if (!s->is_object() || !s->contains("required") || !(*s)["required"].is_array()) return 0;
    for (const auto& k : (*s)["required"]) n += k.is_string() && v.contains(k.get<std::string>());
    return n;
  }

  void check_alternatives(const json& alts, bool one_of, const json& v, const std::string& path,
                          const std::string& spath, std::vector<Issue>& out) {
    const char* kw = one_of ? "oneOf" : "anyOf";
    if (!alts.is_array() || alts.empty()) {
      out.push_back({path, std::string("schema error at ") + spath + ": " + kw + " is not a list"});
      return;
    }
    size_t passed = 0;
    std::vector<std::vector<Issue>> per_alt(alts.size());
    for (size_t i = 0; i < alts.size(); ++i) {
      check(alts[i], v, path, spath + "/" + kw + "/" + std::to_string(i), per_alt[i]);
      if (per_alt[i].empty()) ++passed;
    }
    if (one_of && passed > 1) {
      out.push_back({path, "matches more than one of the allowed forms"});
      return;
    }
    if (passed > 0) return;
    // Show the issues of the one alternative that has the value's type: "expected an integer
    // 0..23" is more useful than "does not match any allowed form".
    std::vector<size_t> compatible;
    for (size_t i = 0; i < alts.size(); ++i)
      if (type_compatible(alts[i], v)) compatible.push_back(i);
    // Objects of several forms (an entry given by its files or by a "kernels" rule): the form
    // of which the object has the most required members is the one it was meant to be.
    if (compatible.size() > 1 && v.is_object()) {
      std::vector<size_t> meant;
      size_t best = 0;
      for (size_t i : compatible) {
        size_t n = required_members_present(alts[i], v);
        if (n > best) meant.clear(), best = n;
        if (n == best && n > 0) meant.push_back(i);
      }
      if (meant.size() == 1) compatible = meant;
    }
    if (compatible.size() == 1 && !is_const(alts[compatible[0]])) {
      for (const auto& is : per_alt[compatible[0]]) out.push_back(is);
      return;
    }
    std::string forms;
    for (size_t i = 0; i < alts.size(); ++i) {
      const json* s = &alts[i];
      if (s->is_object() && s->contains("$ref")) {
        const json* r = resolve((*s)["$ref"].get<std::string>());
        if (r) s = r;
      }
      std::string f;
      if (s->is_object() && s->contains("const"))
        f = short_dump((*s)["const"]);
      else if (s->is_object() && s->contains("type") && (*s)["type"].is_string()) {
        f = type_phrase((*s)["type"].get<std::string>());
        if (s->contains("minimum") && s->contains("maximum"))
          f += " " + short_dump((*s)["minimum"]) + ".." + short_dump((*s)["maximum"]);
      } else
        f = "form " + std::to_string(i + 1);
      forms += (forms.empty() ? "" : " or ") + f;
    }
    out.push_back({path, "is " + kind_of(v) + " " + short_dump(v) + ", expected " + forms});
  }

  void check_object(const json& s, const json& v, const std::string& path, const std::string& spath,
                    std::vector<Issue>& out) {
    for (auto it = s.begin(); it != s.end(); ++it)
      if (!known_keywords().count(it.key()))
        out.push_back(
            {path, "schema error at " + spath + ": unsupported keyword '" + it.key() + "'"});

    if (auto r = s.find("$ref"); r != s.end()) {
      const json* target = r->is_string() ? resolve(r->get<std::string>()) : nullptr;
      if (target == nullptr) {
        out.push_back({path, "schema error at " + spath + ": unresolvable $ref"});
        return;
      }
      check(*target, v, path, r->get<std::string>(), out);
    }

    if (auto t = s.find("type"); t != s.end()) {
      std::vector<std::string> types;
      if (t->is_string()) types.push_back(t->get<std::string>());
      if (t->is_array())
        for (const auto& x : *t) types.push_back(x.get<std::string>());
      bool ok = false;
      for (const auto& ty : types) ok = ok || has_type(v, ty);
      if (!ok) {
        std::string want;
        for (size_t i = 0; i < types.size(); ++i) want += (i ? " or " : "") + type_phrase(types[i]);
        out.push_back({path, "is " + kind_of(v) + ", expected " + want});
        return;  // the other keywords would only repeat the type mismatch
      }
    }

    if (auto c = s.find("const"); c != s.end() && !json_equal(*c, v))
      out.push_back({path, "is " + short_dump(v) + ", must be " + short_dump(*c)});

    if (auto e = s.find("enum"); e != s.end() && e->is_array()) {
      bool found = false;
      for (const auto& x : *e) found = found || json_equal(x, v);
      if (!found) {
        std::string allowed;
        for (size_t i = 0; i < e->size(); ++i) allowed += (i ? ", " : "") + short_dump((*e)[i]);
        out.push_back({path, "is " + short_dump(v) + ", must be one of " + allowed});
      }
    }

    if (v.is_string()) check_string(s, v.get_ref<const std::string&>(), path, spath, out);
    if (v.is_number()) check_number(s, v, path, out);
    if (v.is_array()) check_array(s, v, path, spath, out);
    if (v.is_object()) check_members(s, v, path, spath, out);

    if (auto a = s.find("anyOf"); a != s.end()) check_alternatives(*a, false, v, path, spath, out);
    if (auto o = s.find("oneOf"); o != s.end()) check_alternatives(*o, true, v, path, spath, out);
  }

  void check_string(const json& s, const std::string& str, const std::string& path,
                    const std::string& spath, std::vector<Issue>& out) {
    size_t n = code_points(str);
    if (auto m = s.find("minLength"); m != s.end() && n < m->get<size_t>())
      out.push_back({path, n == 0 ? std::string("must not be empty")
                                  : "is " + std::to_string(n) + " characters long, at least " +
                                        std::to_string(m->get<size_t>()) + " required"});
    if (auto m = s.find("maxLength"); m != s.end() && n > m->get<size_t>())
      out.push_back({path, "is " + std::to_string(n) + " characters long, at most " +
                               std::to_string(m->get<size_t>()) + " allowed"});
    if (auto p = s.find("pattern"); p != s.end()) {
      try {
        std::regex re(p->get<std::string>(), std::regex::ECMAScript);
        if (!std::regex_search(str, re))
          out.push_back({path, pattern_reason(re, p->get<std::string>(), str)});
      } catch (const std::regex_error&) {
        out.push_back({path, "schema error at " + spath + ": bad pattern"});
      }
    }
  }

  // Patterns are opaque to users; say what they mean where we can: the patterns that exclude
  // control characters get "contains the control character 0x0a".
  static std::string pattern_reason(const std::regex& re, const std::string& pattern,
                                    const std::string& str) {
    for (unsigned char c : str)
      if ((c < 0x20 || c == 0x7F) && !std::regex_search(std::string(1, static_cast<char>(c)), re)) {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "0x%02x", c);
        return std::string("contains the control character ") + buf + ", which is not allowed here";
      }
    return "\"" + (str.size() > 60 ? str.substr(0, 57) + "..." : str) +
           "\" does not have the required form " + pattern;
  }

  void check_number(const json& s, const json& v, const std::string& path,
                    std::vector<Issue>& out) {
    double d = v.get<double>();
    if (auto m = s.find("minimum"); m != s.end() && d < m->get<double>())
      out.push_back({path, "is " + short_dump(v) + ", minimum " + short_dump(*m)});
    if (auto m = s.find("maximum"); m != s.end() && d > m->get<double>())
      out.push_back({path, "is " + short_dump(v) + ", maximum " + short_dump(*m)});
  }

  void check_array(const json& s, const json& v, const std::string& path, const std::string& spath,
                   std::vector<Issue>& out) {
    if (auto m = s.find("minItems"); m != s.end() && v.size() < m->get<size_t>())
      out.push_back({path, "has " + std::to_string(v.size()) + " items, at least " +
                               std::to_string(m->get<size_t>()) + " required"});
    if (auto m = s.find("maxItems"); m != s.end() && v.size() > m->get<size_t>())
      out.push_back({path, "has " + std::to_string(v.size()) + " items, at most " +
                               std::to_string(m->get<size_t>()) + " allowed"});
    if (auto u = s.find("uniqueItems"); u != s.end() && u->is_boolean() && u->get<bool>()) {
      for (size_t i = 0; i < v.size(); ++i)
        for (size_t j = 0; j < i; ++j)
          if (json_equal(v[i], v[j])) {
            out.push_back({pointer_append(path, i),
                           "repeats item " + std::to_string(j) + " (" + short_dump(v[i]) + ")"});
            j = i;
          }
    }
    if (auto it = s.find("items"); it != s.end())
      for (size_t i = 0; i < v.size(); ++i)
        check(*it, v[i], pointer_append(path, i), spath + "/items", out);
  }

  void check_members(const json& s, const json& v, const std::string& path,
                     const std::string& spath, std::vector<Issue>& out) {
    if (auto r = s.find("required"); r != s.end())
      for (const auto& name : *r)
        if (!v.contains(name.get<std::string>()))
          out.push_back({path, "the member \"" + name.get<std::string>() + "\" is required"});
    if (auto m = s.find("minProperties"); m != s.end() && v.size() < m->get<size_t>())
      out.push_back({path, "has " + std::to_string(v.size()) + " members, at least " +
                               std::to_string(m->get<size_t>()) + " required"});
    if (auto m = s.find("maxProperties"); m != s.end() && v.size() > m->get<size_t>())
      out.push_back({path, "has " + std::to_string(v.size()) + " members, at most " +
                               std::to_string(m->get<size_t>()) +
                               " allowed (they exclude each other)"});
    const json* props = nullptr;
    if (auto p = s.find("properties"); p != s.end() && p->is_object()) props = &*p;
    auto ap = s.find("additionalProperties");
    for (auto it = v.begin(); it != v.end(); ++it) {
      std::string child = pointer_append(path, it.key());
      if (props && props->contains(it.key())) {
        check((*props)[it.key()], it.value(), child, spath + "/properties/" + it.key(), out);
      } else if (ap != s.end()) {
        if (ap->is_boolean() && !ap->get<bool>()) {
          std::string known;
          if (props)
            for (auto pt = props->begin(); pt != props->end(); ++pt)
              if (pt.key() != "$schema") known += (known.empty() ? "" : ", ") + pt.key();
          out.push_back({child, "unknown member \"" + it.key() + "\"" +
                                    (known.empty() ? "" : " (allowed here: " + known + ")")});
        } else {
          check(*ap, it.value(), child, spath + "/additionalProperties", out);
        }
      }
    }
  }

  const json& root_;
  int depth_ = 0;
};

}  // namespace

std::vector<Issue> validate_against_schema(const json& schema, const json& doc) {
  std::vector<Issue> out;
  Validator v(schema);
  v.check(schema, doc, "", "#", out);
  return out;
}

}  // namespace tlaunch::host::spec
