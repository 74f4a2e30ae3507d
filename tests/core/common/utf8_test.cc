// Utf8: well-formed sequences by Unicode's Table 3-7, and PutUtf8 writing
// every code point back in the form Utf8Length accepts.
#include "core/common/utf8.h"

#include <string>

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::IsValidUtf8;
using runnel::PutUtf8;
using runnel::Utf8Length;

TEST_GROUP(Utf8){};

TEST(Utf8, AcceptsWellFormedText) {
  CHECK(IsValidUtf8(""));
  CHECK(IsValidUtf8(std::string("nul \0 inside", 12)));
  CHECK(IsValidUtf8("plain \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf"));
}

TEST(Utf8, RejectsMalformedText) {
  CHECK_FALSE(IsValidUtf8("\xc3"));              // cut short
  CHECK_FALSE(IsValidUtf8("\xe2\x82"));          // cut short
  CHECK_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  CHECK_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong
  CHECK_FALSE(IsValidUtf8("\xed\xa0\x80"));      // a surrogate
  CHECK_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  CHECK_FALSE(IsValidUtf8("\x80"));              // a lone continuation byte
  CHECK_FALSE(IsValidUtf8("\xff"));
}

TEST(Utf8, WritesEveryCodePointInTheFormItReads) {
  for (uint32_t code = 0x80; code <= 0x10FFFF; ++code) {
    if (code >= 0xD800 && code <= 0xDFFF) continue;
    char out[5] = {};
    const size_t written = static_cast<size_t>(PutUtf8(code, out) - out);
    const size_t expected = code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (written != expected || Utf8Length(out) != written) {
      FAIL(("code point " + std::to_string(code)).c_str());
    }
  }
  char ascii[2] = {};
  LONGS_EQUAL(1, PutUtf8('A', ascii) - ascii);
  LONGS_EQUAL('A', ascii[0]);
}
