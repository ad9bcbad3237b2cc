package storetest

import (
	"strings"
)

// An odd is a value to put in a field, with a name for test names.
type odd struct{ name, v string }

// oddChars are the characters that rule 2.6 keeps out of ids (control,
// format and separator characters, white space of any script): C0 and C1
// controls, which it keeps out of names, descriptions and metadata too,
// then the spaces and format characters that text may hold.
var oddChars = []odd{
	{"NUL", "\x00"}, {"SOH", "\x01"}, {"TAB", "\t"}, {"LF", "\n"}, {"VT", "\v"}, {"CR", "\r"},
	{"ESC", "\x1b"}, {"US", "\x1f"}, {"DEL", "\x7f"},
	{"U+0080", "\u0080"}, {"NEL U+0085", "\u0085"}, {"CSI U+009B", "\u009b"}, {"U+009F", "\u009f"},
	{"space", " "}, {"NBSP U+00A0", "\u00a0"}, {"ogham space U+1680", "\u1680"},
	{"en quad U+2000", "\u2000"}, {"em quad U+2001", "\u2001"}, {"en space U+2002", "\u2002"},
	{"em space U+2003", "\u2003"}, {"three-per-em space U+2004", "\u2004"}, {"four-per-em space U+2005", "\u2005"},
	{"six-per-em space U+2006", "\u2006"}, {"figure space U+2007", "\u2007"}, {"punctuation space U+2008", "\u2008"},
	{"thin space U+2009", "\u2009"}, {"hair space U+200A", "\u200a"},
	{"line separator U+2028", "\u2028"}, {"paragraph separator U+2029", "\u2029"},
	{"narrow NBSP U+202F", "\u202f"}, {"medium math space U+205F", "\u205f"}, {"ideographic space U+3000", "\u3000"},
	{"ZWSP U+200B", "\u200b"}, {"ZWNJ U+200C", "\u200c"}, {"ZWJ U+200D", "\u200d"}, {"LRM U+200E", "\u200e"},
	{"RLO U+202E", "\u202e"}, {"word joiner U+2060", "\u2060"}, {"BOM U+FEFF", "\ufeff"},
	{"soft hyphen U+00AD", "\u00ad"}, {"Arabic letter mark U+061C", "\u061c"}, {"tag A U+E0041", "\U000e0041"},
}

// badUTF8 are byte strings that are not UTF-8.
var badUTF8 = []odd{
	{"byte FF", "\xff"}, {"truncated sequence", "\xc3"}, {"encoded surrogate", "\xed\xa0\x80"},
	{"over-long slash", "\xc0\xaf"}, {"beyond U+10FFFF", "\xf4\x90\x80\x80"},
}

// oddIDs is every odd value for an id field: each odd character alone
// and inside an id, bytes that are not UTF-8, the empty id and ids one
// byte too long, in ASCII and in characters of 2 and 4 bytes.
func oddIDs() []odd {
	var out []odd
	for _, c := range oddChars {
		out = append(out, odd{c.name + " alone", c.v}, odd{c.name + " inside", "a" + c.v + "b"})
	}
	for _, b := range badUTF8 {
		out = append(out, odd{b.name + " alone", b.v}, odd{b.name + " inside", "a" + b.v + "b"})
	}
	return append(out, odd{"empty", ""},
		odd{"129 bytes", strings.Repeat("a", 129)},
		odd{"130 bytes of é", strings.Repeat("é", 65)},
		odd{"132 bytes of emoji", strings.Repeat("😀", 33)})
}

// someOddIDs is a sample of oddIDs, one of each kind, for fields where
// every value would say the same thing many times over.
func someOddIDs() []odd {
	want := map[string]bool{
		"NUL inside": true, "TAB inside": true, "LF alone": true, "DEL inside": true, "NEL U+0085 inside": true,
		"U+009F inside": true, "space inside": true, "NBSP U+00A0 inside": true, "ogham space U+1680 inside": true,
		"en quad U+2000 inside": true, "hair space U+200A inside": true, "line separator U+2028 inside": true,
		"paragraph separator U+2029 alone": true, "narrow NBSP U+202F inside": true, "medium math space U+205F inside": true,
		"ideographic space U+3000 inside": true, "ZWSP U+200B inside": true, "RLO U+202E inside": true,
		"BOM U+FEFF alone": true, "tag A U+E0041 inside": true, "byte FF inside": true, "encoded surrogate alone": true,
		"empty": true, "129 bytes": true, "132 bytes of emoji": true,
	}
	var out []odd
	for _, o := range oddIDs() {
		if want[o.name] {
			out = append(out, o)
		}
	}
	return out
}

// oddTexts is every odd value for a text field (names, descriptions,
// metadata) of at most max characters: each odd character inside a word,
// and alone, bytes that are not UTF-8, the empty text, blank texts, texts
// of max characters and one more.
func oddTexts(max int) []odd {
	var out []odd
	for _, c := range oddChars {
		out = append(out, odd{c.name + " inside", "Ab" + c.v + "cd"}, odd{c.name + " alone", c.v})
	}
	for _, b := range badUTF8 {
		out = append(out, odd{b.name + " inside", "Ab" + b.v + "cd"})
	}
	return append(out,
		odd{"empty", ""}, odd{"blank", "   "}, odd{"NBSP and ideographic space", "\u00a0\u3000"},
		odd{"emoji", "Ops 😀"}, odd{"combining accent", "Cafe\u0301"},
		odd{"max ASCII characters", strings.Repeat("a", max)},
		odd{"max 2-byte characters", strings.Repeat("é", max)},
		odd{"max 4-byte characters", strings.Repeat("😀", max)},
		odd{"max+1 ASCII characters", strings.Repeat("a", max+1)},
		odd{"max+1 2-byte characters", strings.Repeat("é", max+1)},
		odd{"max+1 4-byte characters", strings.Repeat("😀", max+1)})
}

// goodIDs are ids that rule 2.6 allows though they look odd: every store
// must keep them as given.
var goodIDs = []odd{
	{"é", "é"}, {"CJK", "用户"}, {"emoji", "😀"}, {"combining accent", "e\u0301"}, {"punctuation", "a:b/c@d.e+f#g"},
	{"upper case", "Zeta"}, {"128 bytes", strings.Repeat("b", 128)}, {"128 bytes of é", strings.Repeat("é", 64)},
	{"quote and backslash", `o'r"g\x`}, {"percent and underscore", "50%_off"},
}
