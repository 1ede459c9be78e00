// grub.cfg for launch specs: quoting so that GRUB hands over exactly the spec's command line,
// reading grub.cfg back as GRUB's lexer would (grub-core/script/yylex.l), the word diff doctor
// prints, and tboot's recognition of SINIT/LCP data modules.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tlaunch/spec/check.h"
#include "tlaunch/spec/grub_cfg.h"

namespace tlaunch::host::spec {
namespace {

// The command line GRUB builds for `module2 /k <args>` (arguments joined by one space).
std::string round_trip(const std::string& cmdline) {
  std::string cfg =
      "menuentry 'x' {\n\tmultiboot2 /l\n\tmodule2 /k " + grub_cmdline_args(cmdline) + "\n}\n";
  auto r = parse_grub_cfg(cfg, "test.cfg");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.failure().message) << "\n" << cfg;
  if (!r.ok() || r->size() != 1 || (*r)[0].modules.size() != 1) return "<unparsed>";
  return (*r)[0].modules[0].cmdline;
}

TEST(GrubQuote, Words) {
  EXPECT_EQ(grub_quote_word("root=/dev/sda1"), "root=/dev/sda1");
  EXPECT_EQ(grub_quote_word("console=ttyS0,115200n8"), "console=ttyS0,115200n8");
  EXPECT_EQ(grub_quote_word("$x"), "'$x'");
  EXPECT_EQ(grub_quote_word("it's"), "'it'\\''s'");
  EXPECT_EQ(grub_quote_word(""), "''");
  EXPECT_EQ(grub_quote_word("a*"), "'a*'");
  EXPECT_EQ(grub_cmdline_args("ro quiet"), "ro quiet");
  // Words GRUB could not rebuild from separate arguments stay one quoted argument.
  EXPECT_EQ(grub_cmdline_args("a  b"), "'a  b'");
  EXPECT_EQ(grub_cmdline_args(" a"), "' a'");
  EXPECT_EQ(grub_cmdline_args(""), "");
}

TEST(GrubQuote, EveryCommandLineSurvivesGrubsLexer) {
  const std::vector<std::string> cmdlines = {"root=/dev/vda1 ro quiet",
                                             "a  b",
                                             " lead",
                                             "trail ",
                                             "tab\there",
                                             "x=\"a b\" y",
                                             "it's $HOME; {a} | b & c # not a comment",
                                             "caf\xc3\xa9",
                                             "*",
                                             "\\back\\slash",
                                             "",
                                             "'",
                                             "\"",
                                             "a'b\"c$d",
                                             "--nounzip"};
  for (const auto& c : cmdlines) EXPECT_EQ(round_trip(c), c) << "[" << c << "]";
}

TEST(GrubRead, EntriesSubmenusVariablesAndOptions) {
  const std::string cfg =
      "set root='hd0,gpt2'\n"
      "vt=vt_handoff\n"
      "# a comment { with braces }\n"
      "function load_video {\n  insmod all_video\n}\n"
      "if [ x$feature_menuentry_id = xy ]; then\n  menuentry_id_option=\"--id\"\nfi\n"
      "submenu 'tlaunch' $menuentry_id_option 'sub' {\n"
      "\tmenuentry 'A \"quoted\" title' --class os {\n"
      "\t\tinsmod multiboot2\n"
      "\t\tmultiboot2\t/boot/tlaunch-launcher.elf logging=serial \\\n extpol=sha384\n"
      "\t\tmodule2 /boot/vmlinuz root=/dev/vda1 \"ro  quiet\" $vt $undefined\n"
      "\t\tmodule2 --nounzip /boot/initrd.img\n"
      "\t}\n"
      "}\n"
      "menuentry 'plain linux' { linux /vmlinuz ro; initrd /initrd.img; }\n";
  auto r = parse_grub_cfg(cfg, "grub.cfg");
  ASSERT_TRUE(r.ok()) << r.failure().message;
  ASSERT_EQ(r->size(), 2u);
  const GrubMenuEntry& a = (*r)[0];
  EXPECT_EQ(a.title, "A \"quoted\" title");
  EXPECT_EQ(a.submenus, std::vector<std::string>{"tlaunch"});
  EXPECT_EQ(a.line, 11u);
  ASSERT_TRUE(a.multiboot2.has_value());
  EXPECT_EQ(a.multiboot2->path, "/boot/tlaunch-launcher.elf");
  EXPECT_EQ(a.multiboot2->cmdline, "logging=serial extpol=sha384");  // path not included
  ASSERT_EQ(a.modules.size(), 2u);
  EXPECT_EQ(a.modules[0].line, 15u);  // after the continued multiboot2 line
  // "ro  quiet" is one argument; $vt expands; the unset $undefined is no argument at all.
  EXPECT_EQ(a.modules[0].cmdline, "root=/dev/vda1 ro  quiet vt_handoff");
  EXPECT_EQ(a.modules[0].unresolved, std::vector<std::string>{"undefined"});
  EXPECT_FALSE(a.modules[0].nounzip);
  EXPECT_TRUE(a.modules[1].nounzip);
  EXPECT_EQ(a.modules[1].path, "/boot/initrd.img");
  EXPECT_EQ(a.modules[1].cmdline, "");
  EXPECT_FALSE((*r)[1].multiboot2.has_value());
  EXPECT_TRUE((*r)[1].has_linux);
}

TEST(GrubRead, MalformedFilesNameTheLine) {
  auto r = parse_grub_cfg("menuentry 'a' {\n  module2 '/x\n", "g.cfg");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.failure().message.find("g.cfg: line 2: unterminated '...' quote"), std::string::npos)
      << r.failure().message;
  r = parse_grub_cfg("menuentry 'a' {\n  module2 /x\n", "g.cfg");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.failure().message.find("ends inside a '{' block"), std::string::npos);
  r = parse_grub_cfg("}\n", "g.cfg");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.failure().message.find("'}' without a matching '{'"), std::string::npos);
}

TEST(WordDiff, RemovalsBeforeAdditions) {
  EXPECT_EQ(word_diff("root=/a ro quiet", "root=/a ro splash"),
            (std::vector<std::string>{" root=/a", " ro", "-quiet", "+splash"}));
  EXPECT_EQ(word_diff("a b", "a b c"), (std::vector<std::string>{" a", " b", "+c"}));
  EXPECT_EQ(word_diff("a  b", "a b"), (std::vector<std::string>{" a", " b", "~blanks differ"}));
  EXPECT_TRUE(word_diff("", "").empty());
}

}  // namespace
}  // namespace tlaunch::host::spec
