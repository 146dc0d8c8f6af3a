#include "image/debian_packages.h"

#include <algorithm>
#include <charconv>
#include <deque>
#include <map>

#include "common/error.h"

namespace alfs {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// dpkg's character weights: '~' sorts before the end of the string, letters before
// other characters.
int weight(char c) {
  if (is_digit(c)) return 0;
  if (is_alpha(c)) return c;
  if (c == '~') return -1;
  if (c != 0) return c + 256;
  return 0;
}

// dpkg's verrevcmp: alternating runs of non-digits (by weight) and digits (by value).
int compare_part(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  auto at = [](std::string_view s, size_t k) { return k < s.size() ? s[k] : '\0'; };
  while (i < a.size() || j < b.size()) {
    while ((i < a.size() && !is_digit(a[i])) || (j < b.size() && !is_digit(b[j]))) {
      int wa = weight(at(a, i)), wb = weight(at(b, j));
      if (wa != wb) return wa - wb;
      ++i;
      ++j;
    }
    while (at(a, i) == '0') ++i;
    while (at(b, j) == '0') ++j;
    int first_difference = 0;
    while (is_digit(at(a, i)) && is_digit(at(b, j))) {
      if (first_difference == 0) first_difference = a[i] - b[j];
      ++i;
      ++j;
    }
    if (is_digit(at(a, i))) return 1;
    if (is_digit(at(b, j))) return -1;
    if (first_difference != 0) return first_difference;
  }
  return 0;
}

struct Version {
  long epoch = 0;
  std::string_view upstream, revision;
};

Version split_version(std::string_view v) {
  Version out;
  size_t colon = v.find(':');
  if (colon != std::string_view::npos) {
    std::from_chars(v.data(), v.data() + colon, out.epoch);
    v.remove_prefix(colon + 1);
  }
  size_t dash = v.rfind('-');
  out.upstream = v.substr(0, dash);
  if (dash != std::string_view::npos) out.revision = v.substr(dash + 1);
  return out;
}

std::string_view trim(std::string_view s) {
  size_t begin = s.find_first_not_of(" \t\n");
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(" \t\n") + 1 - begin);
}

// One alternative of a relation: "libc6 (>= 2.34)", "python3:any".
struct Relation {
  std::string name;
  std::string op;  // empty: any version
  std::string version;
};
using Group = std::vector<Relation>;  // "a | b"

std::string to_string(const Relation& r) {
  return r.op.empty() ? r.name : r.name + " (" + r.op + " " + r.version + ")";
}

std::string to_string(const Group& group) {
  std::string out;
  for (const Relation& r : group) out += (out.empty() ? "" : " | ") + to_string(r);
  return out;
}

Relation parse_relation(std::string_view text, const std::string& context) {
  text = trim(text);
  size_t end = text.find_first_of(" \t(");
  Relation r{std::string(trim(text.substr(0, end))), "", ""};
  // An architecture qualifier (":any", ":native"): one architecture is resolved here.
  if (size_t colon = r.name.find(':'); colon != std::string::npos) r.name.resize(colon);
  std::string_view rest = end == std::string_view::npos ? std::string_view() : trim(text.substr(end));
  if (!rest.empty()) {
    if (rest.front() != '(' || rest.back() != ')')
      throw Error(context + ": malformed relation '" + std::string(text) + "'");
    rest = trim(rest.substr(1, rest.size() - 2));
    size_t op_end = rest.find_first_not_of("<=>");
    std::string op(rest.substr(0, op_end));
    // "<" and ">" are dpkg's obsolete spellings of "<=" and ">=".
    if (op == "<") op = "<=";
    if (op == ">") op = ">=";
    if (op != "<<" && op != "<=" && op != "=" && op != ">=" && op != ">>")
      throw Error(context + ": malformed relation '" + std::string(text) + "'");
    r.op = op;
    r.version = std::string(trim(rest.substr(op_end == std::string_view::npos ? rest.size() : op_end)));
  }
  if (r.name.empty() || (!r.op.empty() && r.version.empty()))
    throw Error(context + ": malformed relation '" + std::string(text) + "'");
  return r;
}

std::vector<Group> parse_relations(std::string_view field, const std::string& context) {
  std::vector<Group> groups;
  while (!trim(field).empty()) {
    size_t comma = field.find(',');
    std::string_view item = field.substr(0, comma);
    field.remove_prefix(comma == std::string_view::npos ? field.size() : comma + 1);
    Group group;
    while (!item.empty()) {
      size_t bar = item.find('|');
      group.push_back(parse_relation(item.substr(0, bar), context));
      item.remove_prefix(bar == std::string_view::npos ? item.size() : bar + 1);
    }
    groups.push_back(std::move(group));
  }
  return groups;
}

bool satisfies(const std::string& version, const Relation& r) {
  if (r.op.empty()) return true;
  int c = compare_versions(version, r.version);
  if (r.op == "<<") return c < 0;
  if (r.op == "<=") return c <= 0;
  if (r.op == "=") return c == 0;
  if (r.op == ">=") return c >= 0;
  return c > 0;
}

int priority_rank(const std::string& priority) {
  static const char* const kOrder[] = {"required", "important", "standard", "optional", "extra"};
  for (int i = 0; i < 5; ++i)
    if (priority == kOrder[i]) return i;
  return 5;
}

}  // namespace

int compare_versions(std::string_view a, std::string_view b) {
  Version va = split_version(a), vb = split_version(b);
  if (va.epoch != vb.epoch) return va.epoch < vb.epoch ? -1 : 1;
  if (int c = compare_part(va.upstream, vb.upstream); c != 0) return c;
  return compare_part(va.revision, vb.revision);
}

PackageIndex PackageIndex::parse(std::string_view text) {
  PackageIndex index;
  std::map<std::string, std::string> fields;
  int line_number = 0, stanza_line = 0;
  std::string last_field;
  auto finish = [&] {
    if (fields.empty()) return;
    auto need = [&](const char* name) -> std::string {
      auto it = fields.find(name);
      if (it == fields.end() || trim(it->second).empty())
        throw Error("line " + std::to_string(stanza_line) + ": a stanza without " + name);
      return std::string(trim(it->second));
    };
    auto get = [&](const char* name) {
      auto it = fields.find(name);
      return it == fields.end() ? std::string() : std::string(trim(it->second));
    };
    DebianPackage p;
    p.name = need("Package");
    p.version = need("Version");
    p.filename = need("Filename");
    p.architecture = get("Architecture");
    p.priority = get("Priority");
    p.essential = get("Essential") == "yes";
    p.pre_depends = get("Pre-Depends");
    p.depends = get("Depends");
    p.provides = get("Provides");
    p.sha256 = get("SHA256");
    std::string size = get("Size");
    if (!size.empty()) {
      auto [end, ec] = std::from_chars(size.data(), size.data() + size.size(), p.size);
      if (ec != std::errc() || end != size.data() + size.size())
        throw Error("line " + std::to_string(stanza_line) + ": " + p.name + " has a bad Size '" + size + "'");
    }
    auto [it, fresh] = index.newest_.emplace(p.name, index.packages_.size());
    if (!fresh && compare_versions(p.version, index.packages_[it->second].version) > 0)
      it->second = index.packages_.size();
    index.packages_.push_back(std::move(p));
    fields.clear();
    last_field.clear();
  };
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim(line).empty()) {
      finish();
      continue;
    }
    std::string where = "line " + std::to_string(line_number) + ": ";
    if (line.front() == ' ' || line.front() == '\t') {
      if (last_field.empty()) throw Error(where + "a continuation line outside a field");
      fields[last_field] += "\n" + std::string(line.substr(1));
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) throw Error(where + "expected 'Field: value'");
    if (fields.empty()) stanza_line = line_number;
    std::string name(line.substr(0, colon));
    if (!fields.emplace(name, std::string(line.substr(colon + 1))).second)
      throw Error(where + "a second " + name + " field");
    last_field = name;
  }
  finish();
  return index;
}

const DebianPackage* PackageIndex::find(std::string_view name) const {
  auto it = newest_.find(name);
  return it == newest_.end() ? nullptr : &packages_[it->second];
}

std::vector<std::string> PackageIndex::essential() const {
  std::vector<std::string> names;
  for (const DebianPackage& p : packages_)
    if (p.essential && std::find(names.begin(), names.end(), p.name) == names.end()) names.push_back(p.name);
  return names;
}

std::vector<const DebianPackage*> PackageIndex::resolve(const std::vector<std::string>& roots) const {
  // Who provides each virtual name, and in which version (empty: unversioned).
  std::map<std::string, std::vector<std::pair<const DebianPackage*, std::string>>> providers;
  for (const DebianPackage& p : packages_) {
    if (find(p.name) != &p) continue;
    for (const Group& group : parse_relations(p.provides, "the Provides of " + p.name))
      for (const Relation& r : group) providers[r.name].emplace_back(&p, r.version);
  }
  auto provider_satisfies = [](const std::string& provided, const Relation& r) {
    return r.op.empty() || (!provided.empty() && satisfies(provided, r));
  };

  std::map<std::string, const DebianPackage*> chosen;
  std::deque<const DebianPackage*> queue;
  auto choose = [&](const DebianPackage* p) {
    if (chosen.emplace(p->name, p).second) queue.push_back(p);
  };
  auto is_chosen = [&](const DebianPackage* p) {
    auto it = chosen.find(p->name);
    return it != chosen.end() && it->second == p;
  };

  auto satisfy = [&](const Group& group, const std::string& needed_by) {
    for (const Relation& r : group) {
      const DebianPackage* real = find(r.name);
      if (real && is_chosen(real) && satisfies(real->version, r)) return;
      for (const auto& [p, provided] : providers[r.name])
        if (is_chosen(p) && provider_satisfies(provided, r)) return;
    }
    for (const Relation& r : group) {
      const DebianPackage* real = find(r.name);
      if (real && satisfies(real->version, r)) return choose(real);
      const DebianPackage* best = nullptr;
      for (const auto& [p, provided] : providers[r.name])
        if (provider_satisfies(provided, r) && (!best || priority_rank(p->priority) < priority_rank(best->priority)))
          best = p;
      if (best) return choose(best);
    }
    std::string why = "nothing in the index satisfies it";
    if (group.size() == 1) {
      const DebianPackage* real = find(group[0].name);
      if (real)
        why = "the index has " + real->name + " " + real->version;
      else if (providers[group[0].name].empty())
        why = "not in the index";
    }
    throw Error(to_string(group) + (needed_by.empty() ? "" : " (needed by " + needed_by + ")") + ": " + why);
  };

  for (const std::string& root : roots) satisfy({parse_relation(root, "the requested packages")}, "");
  while (!queue.empty()) {
    const DebianPackage* p = queue.front();
    queue.pop_front();
    for (const Group& group : parse_relations(p->pre_depends, "the Pre-Depends of " + p->name)) satisfy(group, p->name);
    for (const Group& group : parse_relations(p->depends, "the Depends of " + p->name)) satisfy(group, p->name);
  }
  std::vector<const DebianPackage*> out;
  for (const auto& [name, p] : chosen) out.push_back(p);
  return out;
}

}  // namespace alfs
