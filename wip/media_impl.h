/* ---- Media implementation: subtitles, text normalisation, alignment, features, VCMR ranking ----
   Needs the formats (hero_json, hero_tensorfile) and tokenizer implementations. */
#ifndef HERO__TOK_MAX_FILE /* tokenizer_impl.h not included yet: it defines this macro */
#include "tokenizer_impl.h"
#endif
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ======================================================================================
   small helpers: a growable byte buffer, whole-file reading, UTF-8
   ====================================================================================== */

typedef struct hero__mbuf {
    char *s;
    size_t n, cap;
    int oom;
} hero__mbuf;

static void hero__mbuf_put(hero__mbuf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->n + n + 1 > b->cap || !b->s) {
        size_t c = b->cap ? b->cap : 64;
        char *p;
        while (c < b->n + n + 1) {
            if (c > ((size_t)-1) / 2) { b->oom = 1; return; }
            c *= 2;
        }
        p = (char *)HERO_REALLOC(b->s, c);
        if (!p) { b->oom = 1; return; }
        b->s = p;
        b->cap = c;
    }
    if (n) memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}

/* Hands the buffer's string over (an empty string when nothing was put); NULL when out of memory. */
static char *hero__mbuf_take(hero__mbuf *b, size_t *len) {
    char *s;
    if (!b->oom && !b->s) hero__mbuf_put(b, "", 0);
    if (b->oom) { HERO_FREE(b->s); memset(b, 0, sizeof *b); return NULL; }
    s = b->s;
    if (len) *len = b->n;
    memset(b, 0, sizeof *b);
    return s;
}

static char *hero__mstrndup(const char *s, size_t n) {
    char *p = (char *)HERO_MALLOC(n + 1);
    if (!p) return NULL;
    if (n) memcpy(p, s, n);
    p[n] = 0;
    return p;
}

/* Whole file into a HERO_MALLOC'd, NUL-terminated buffer, at most `limit` bytes. */
static int hero__mread_file(const char *path, size_t limit, char **out, size_t *size, hero_error *err) {
    FILE *f;
    long end;
    char *buf;
    size_t n;
    *out = NULL;
    *size = 0;
    if (!path) return hero__fail(err, HERO_EINVAL, "read: NULL path");
    f = fopen(path, "rb");
    if (!f) return hero__fail(err, HERO_EIO, "%s: cannot open for reading", path);
    if (fseek(f, 0, SEEK_END) != 0 || (end = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return hero__fail(err, HERO_EIO, "%s: cannot determine the file size (a directory?)", path);
    }
    if ((unsigned long)end > (unsigned long)limit) {
        fclose(f);
        return hero__fail(err, HERO_ELIMIT, "%s: %ld bytes, limit %zu", path, end, limit);
    }
    buf = (char *)HERO_MALLOC((size_t)end + 1);
    if (!buf) {
        fclose(f);
        return hero__fail(err, HERO_ENOMEM, "%s: cannot allocate %ld bytes", path, end);
    }
    n = fread(buf, 1, (size_t)end, f);
    if (n != (size_t)end || ferror(f)) {
        fclose(f);
        HERO_FREE(buf);
        return hero__fail(err, HERO_EIO, "%s: read %zu of %ld bytes (a directory?)", path, n, end);
    }
    fclose(f);
    buf[n] = 0;
    *out = buf;
    *size = n;
    return 0;
}

/* Decodes one UTF-8 sequence at s[0..n) (n >= 1): returns its length and sets *cp, or 0 when
   the bytes are not valid UTF-8 (overlong, surrogate, > U+10FFFF, truncated). */
static int hero__mutf8_dec(const unsigned char *s, size_t n, uint32_t *cp) {
    uint32_t c = s[0];
    int len, i;
    if (c < 0x80) { *cp = c; return 1; }
    if (c >= 0xC2 && c <= 0xDF) { len = 2; c &= 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; c &= 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; c &= 0x07; }
    else return 0;
    if ((size_t)len > n) return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        c = (c << 6) | (s[i] & 0x3Fu);
    }
    if ((len == 3 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) || (len == 4 && (c < 0x10000 || c > 0x10FFFF)))
        return 0;
    *cp = c;
    return len;
}

/* Encodes a code point (< 0x110000) as UTF-8 into o[4]; returns its length. */
static int hero__mutf8_enc(uint32_t c, char *o) {
    if (c < 0x80) { o[0] = (char)c; return 1; }
    if (c < 0x800) { o[0] = (char)(0xC0 | (c >> 6)); o[1] = (char)(0x80 | (c & 0x3F)); return 2; }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | (c >> 12)); o[1] = (char)(0x80 | ((c >> 6) & 0x3F)); o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (c >> 18)); o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F)); o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* ======================================================================================
   html.unescape (Python 3.4+ semantics, named references from a subset: see the API)
   ====================================================================================== */

typedef struct hero__ment { const char *name, *value; int bare; } hero__ment;

/* name (without ';'), UTF-8 value, bare = also accepted without ';' (HTML5 legacy names).
   Sorted by strcmp. Generated from Python's html.entities.html5. */
static const hero__ment hero__ments[] = {
    {"AElig", "\xC3\x86", 1}, {"AMP", "&", 1}, {"Aacute", "\xC3\x81", 1}, {"Acirc", "\xC3\x82", 1},
    {"Agrave", "\xC3\x80", 1}, {"Alpha", "\xCE\x91", 0}, {"Aring", "\xC3\x85", 1},
    {"Atilde", "\xC3\x83", 1}, {"Auml", "\xC3\x84", 1}, {"Beta", "\xCE\x92", 0},
    {"COPY", "\xC2\xA9", 1}, {"Ccedil", "\xC3\x87", 1}, {"Chi", "\xCE\xA7", 0},
    {"Dagger", "\xE2\x80\xA1", 0}, {"Delta", "\xCE\x94", 0}, {"ETH", "\xC3\x90", 1},
    {"Eacute", "\xC3\x89", 1}, {"Ecirc", "\xC3\x8A", 1}, {"Egrave", "\xC3\x88", 1},
    {"Epsilon", "\xCE\x95", 0}, {"Eta", "\xCE\x97", 0}, {"Euml", "\xC3\x8B", 1}, {"GT", ">", 1},
    {"Gamma", "\xCE\x93", 0}, {"Iacute", "\xC3\x8D", 1}, {"Icirc", "\xC3\x8E", 1},
    {"Igrave", "\xC3\x8C", 1}, {"Iota", "\xCE\x99", 0}, {"Iuml", "\xC3\x8F", 1},
    {"Kappa", "\xCE\x9A", 0}, {"LT", "<", 1}, {"Lambda", "\xCE\x9B", 0}, {"Mu", "\xCE\x9C", 0},
    {"Ntilde", "\xC3\x91", 1}, {"Nu", "\xCE\x9D", 0}, {"OElig", "\xC5\x92", 0},
    {"Oacute", "\xC3\x93", 1}, {"Ocirc", "\xC3\x94", 1}, {"Ograve", "\xC3\x92", 1},
    {"Omega", "\xCE\xA9", 0}, {"Omicron", "\xCE\x9F", 0}, {"Oslash", "\xC3\x98", 1},
    {"Otilde", "\xC3\x95", 1}, {"Ouml", "\xC3\x96", 1}, {"Phi", "\xCE\xA6", 0},
    {"Pi", "\xCE\xA0", 0}, {"Prime", "\xE2\x80\xB3", 0}, {"Psi", "\xCE\xA8", 0},
    {"QUOT", "\x22", 1}, {"REG", "\xC2\xAE", 1}, {"Rho", "\xCE\xA1", 0}, {"Scaron", "\xC5\xA0", 0},
    {"Sigma", "\xCE\xA3", 0}, {"THORN", "\xC3\x9E", 1}, {"Tau", "\xCE\xA4", 0},
    {"Theta", "\xCE\x98", 0}, {"Uacute", "\xC3\x9A", 1}, {"Ucirc", "\xC3\x9B", 1},
    {"Ugrave", "\xC3\x99", 1}, {"Upsilon", "\xCE\xA5", 0}, {"Uuml", "\xC3\x9C", 1},
    {"Xi", "\xCE\x9E", 0}, {"Yacute", "\xC3\x9D", 1}, {"Yuml", "\xC5\xB8", 0},
    {"Zeta", "\xCE\x96", 0}, {"aacute", "\xC3\xA1", 1}, {"acirc", "\xC3\xA2", 1},
    {"acute", "\xC2\xB4", 1}, {"aelig", "\xC3\xA6", 1}, {"agrave", "\xC3\xA0", 1},
    {"alefsym", "\xE2\x84\xB5", 0}, {"alpha", "\xCE\xB1", 0}, {"amp", "&", 1},
    {"and", "\xE2\x88\xA7", 0}, {"ang", "\xE2\x88\xA0", 0}, {"apos", "'", 0},
    {"aring", "\xC3\xA5", 1}, {"asymp", "\xE2\x89\x88", 0}, {"atilde", "\xC3\xA3", 1},
    {"auml", "\xC3\xA4", 1}, {"bdquo", "\xE2\x80\x9E", 0}, {"beta", "\xCE\xB2", 0},
    {"brvbar", "\xC2\xA6", 1}, {"bull", "\xE2\x80\xA2", 0}, {"cap", "\xE2\x88\xA9", 0},
    {"ccedil", "\xC3\xA7", 1}, {"cedil", "\xC2\xB8", 1}, {"cent", "\xC2\xA2", 1},
    {"chi", "\xCF\x87", 0}, {"circ", "\xCB\x86", 0}, {"clubs", "\xE2\x99\xA3", 0},
    {"cong", "\xE2\x89\x85", 0}, {"copy", "\xC2\xA9", 1}, {"crarr", "\xE2\x86\xB5", 0},
    {"cup", "\xE2\x88\xAA", 0}, {"curren", "\xC2\xA4", 1}, {"dArr", "\xE2\x87\x93", 0},
    {"dagger", "\xE2\x80\xA0", 0}, {"darr", "\xE2\x86\x93", 0}, {"deg", "\xC2\xB0", 1},
    {"delta", "\xCE\xB4", 0}, {"diams", "\xE2\x99\xA6", 0}, {"divide", "\xC3\xB7", 1},
    {"eacute", "\xC3\xA9", 1}, {"ecirc", "\xC3\xAA", 1}, {"egrave", "\xC3\xA8", 1},
    {"empty", "\xE2\x88\x85", 0}, {"emsp", "\xE2\x80\x83", 0}, {"ensp", "\xE2\x80\x82", 0},
    {"epsilon", "\xCE\xB5", 0}, {"equiv", "\xE2\x89\xA1", 0}, {"eta", "\xCE\xB7", 0},
    {"eth", "\xC3\xB0", 1}, {"euml", "\xC3\xAB", 1}, {"euro", "\xE2\x82\xAC", 0},
    {"exist", "\xE2\x88\x83", 0}, {"fnof", "\xC6\x92", 0}, {"forall", "\xE2\x88\x80", 0},
    {"frac12", "\xC2\xBD", 1}, {"frac14", "\xC2\xBC", 1}, {"frac34", "\xC2\xBE", 1},
    {"frasl", "\xE2\x81\x84", 0}, {"gamma", "\xCE\xB3", 0}, {"ge", "\xE2\x89\xA5", 0},
    {"gt", ">", 1}, {"hArr", "\xE2\x87\x94", 0}, {"harr", "\xE2\x86\x94", 0},
    {"hearts", "\xE2\x99\xA5", 0}, {"hellip", "\xE2\x80\xA6", 0}, {"iacute", "\xC3\xAD", 1},
    {"icirc", "\xC3\xAE", 1}, {"iexcl", "\xC2\xA1", 1}, {"igrave", "\xC3\xAC", 1},
    {"image", "\xE2\x84\x91", 0}, {"infin", "\xE2\x88\x9E", 0}, {"int", "\xE2\x88\xAB", 0},
    {"iota", "\xCE\xB9", 0}, {"iquest", "\xC2\xBF", 1}, {"isin", "\xE2\x88\x88", 0},
    {"iuml", "\xC3\xAF", 1}, {"kappa", "\xCE\xBA", 0}, {"lArr", "\xE2\x87\x90", 0},
    {"lambda", "\xCE\xBB", 0}, {"lang", "\xE2\x9F\xA8", 0}, {"laquo", "\xC2\xAB", 1},
    {"larr", "\xE2\x86\x90", 0}, {"lceil", "\xE2\x8C\x88", 0}, {"ldquo", "\xE2\x80\x9C", 0},
    {"le", "\xE2\x89\xA4", 0}, {"lfloor", "\xE2\x8C\x8A", 0}, {"lowast", "\xE2\x88\x97", 0},
    {"loz", "\xE2\x97\x8A", 0}, {"lrm", "\xE2\x80\x8E", 0}, {"lsaquo", "\xE2\x80\xB9", 0},
    {"lsquo", "\xE2\x80\x98", 0}, {"lt", "<", 1}, {"macr", "\xC2\xAF", 1},
    {"mdash", "\xE2\x80\x94", 0}, {"micro", "\xC2\xB5", 1}, {"middot", "\xC2\xB7", 1},
    {"minus", "\xE2\x88\x92", 0}, {"mu", "\xCE\xBC", 0}, {"nabla", "\xE2\x88\x87", 0},
    {"nbsp", "\xC2\xA0", 1}, {"ndash", "\xE2\x80\x93", 0}, {"ne", "\xE2\x89\xA0", 0},
    {"ni", "\xE2\x88\x8B", 0}, {"not", "\xC2\xAC", 1}, {"notin", "\xE2\x88\x89", 0},
    {"nsub", "\xE2\x8A\x84", 0}, {"ntilde", "\xC3\xB1", 1}, {"nu", "\xCE\xBD", 0},
    {"oacute", "\xC3\xB3", 1}, {"ocirc", "\xC3\xB4", 1}, {"oelig", "\xC5\x93", 0},
    {"ograve", "\xC3\xB2", 1}, {"oline", "\xE2\x80\xBE", 0}, {"omega", "\xCF\x89", 0},
    {"omicron", "\xCE\xBF", 0}, {"oplus", "\xE2\x8A\x95", 0}, {"or", "\xE2\x88\xA8", 0},
    {"ordf", "\xC2\xAA", 1}, {"ordm", "\xC2\xBA", 1}, {"oslash", "\xC3\xB8", 1},
    {"otilde", "\xC3\xB5", 1}, {"otimes", "\xE2\x8A\x97", 0}, {"ouml", "\xC3\xB6", 1},
    {"para", "\xC2\xB6", 1}, {"part", "\xE2\x88\x82", 0}, {"permil", "\xE2\x80\xB0", 0},
    {"perp", "\xE2\x8A\xA5", 0}, {"phi", "\xCF\x86", 0}, {"pi", "\xCF\x80", 0},
    {"piv", "\xCF\x96", 0}, {"plusmn", "\xC2\xB1", 1}, {"pound", "\xC2\xA3", 1},
    {"prime", "\xE2\x80\xB2", 0}, {"prod", "\xE2\x88\x8F", 0}, {"prop", "\xE2\x88\x9D", 0},
    {"psi", "\xCF\x88", 0}, {"quot", "\x22", 1}, {"rArr", "\xE2\x87\x92", 0},
    {"radic", "\xE2\x88\x9A", 0}, {"rang", "\xE2\x9F\xA9", 0}, {"raquo", "\xC2\xBB", 1},
    {"rarr", "\xE2\x86\x92", 0}, {"rceil", "\xE2\x8C\x89", 0}, {"rdquo", "\xE2\x80\x9D", 0},
    {"real", "\xE2\x84\x9C", 0}, {"reg", "\xC2\xAE", 1}, {"rfloor", "\xE2\x8C\x8B", 0},
    {"rho", "\xCF\x81", 0}, {"rlm", "\xE2\x80\x8F", 0}, {"rsaquo", "\xE2\x80\xBA", 0},
    {"rsquo", "\xE2\x80\x99", 0}, {"sbquo", "\xE2\x80\x9A", 0}, {"scaron", "\xC5\xA1", 0},
    {"sdot", "\xE2\x8B\x85", 0}, {"sect", "\xC2\xA7", 1}, {"shy", "\xC2\xAD", 1},
    {"sigma", "\xCF\x83", 0}, {"sigmaf", "\xCF\x82", 0}, {"sim", "\xE2\x88\xBC", 0},
    {"spades", "\xE2\x99\xA0", 0}, {"sub", "\xE2\x8A\x82", 0}, {"sube", "\xE2\x8A\x86", 0},
    {"sum", "\xE2\x88\x91", 0}, {"sup", "\xE2\x8A\x83", 0}, {"sup1", "\xC2\xB9", 1},
    {"sup2", "\xC2\xB2", 1}, {"sup3", "\xC2\xB3", 1}, {"supe", "\xE2\x8A\x87", 0},
    {"szlig", "\xC3\x9F", 1}, {"tau", "\xCF\x84", 0}, {"there4", "\xE2\x88\xB4", 0},
    {"theta", "\xCE\xB8", 0}, {"thetasym", "\xCF\x91", 0}, {"thinsp", "\xE2\x80\x89", 0},
    {"thorn", "\xC3\xBE", 1}, {"tilde", "\xCB\x9C", 0}, {"times", "\xC3\x97", 1},
    {"trade", "\xE2\x84\xA2", 0}, {"uArr", "\xE2\x87\x91", 0}, {"uacute", "\xC3\xBA", 1},
    {"uarr", "\xE2\x86\x91", 0}, {"ucirc", "\xC3\xBB", 1}, {"ugrave", "\xC3\xB9", 1},
    {"uml", "\xC2\xA8", 1}, {"upsih", "\xCF\x92", 0}, {"upsilon", "\xCF\x85", 0},
    {"uuml", "\xC3\xBC", 1}, {"weierp", "\xE2\x84\x98", 0}, {"xi", "\xCE\xBE", 0},
    {"yacute", "\xC3\xBD", 1}, {"yen", "\xC2\xA5", 1}, {"yuml", "\xC3\xBF", 1},
    {"zeta", "\xCE\xB6", 0}, {"zwj", "\xE2\x80\x8D", 0}, {"zwnj", "\xE2\x80\x8C", 0}
};

static const hero__ment *hero__ment_find(const char *s, size_t n) {
    int lo = 0, hi = (int)(sizeof hero__ments / sizeof hero__ments[0]) - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        const char *e = hero__ments[mid].name;
        int c = strncmp(e, s, n);
        if (c == 0) c = e[n] ? 1 : 0;
        if (c == 0) return &hero__ments[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid - 1;
    }
    return NULL;
}

/* Python's html._invalid_charrefs for 0x80..0x9F (Windows-1252); 0 = the code point itself. */
static const uint16_t hero__cp1252[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
    0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178};

/* The replacement of numeric reference `num` (already capped); writes UTF-8 to o, returns length. */
static int hero__mcharref(uint64_t num, char *o) {
    if (num == 0) return hero__mutf8_enc(0xFFFD, o);
    if (num == 0x0D) { o[0] = '\r'; return 1; }
    if (num >= 0x80 && num <= 0x9F) {
        uint32_t r = hero__cp1252[num - 0x80];
        return hero__mutf8_enc(r ? r : (uint32_t)num, o);
    }
    if ((num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF) return hero__mutf8_enc(0xFFFD, o);
    /* Python's _invalid_codepoints: C0 controls but \t \n \f \r, DEL + C1, noncharacters */
    if ((num >= 0x1 && num <= 0x8) || num == 0xB || (num >= 0xE && num <= 0x1F) || (num >= 0x7F && num <= 0x9F) ||
        (num >= 0xFDD0 && num <= 0xFDEF) || (num & 0xFFFE) == 0xFFFE)
        return 0;
    return hero__mutf8_enc((uint32_t)num, o);
}

HERODEF int hero_html_unescape(const char *in, size_t len, char **out, size_t *out_len, hero_error *err) {
    hero__mbuf b;
    const unsigned char *s = (const unsigned char *)in;
    size_t i = 0;
    memset(&b, 0, sizeof b);
    if (out) *out = NULL;
    if (out_len) *out_len = 0;
    if (!out || (!in && len)) return hero__fail(err, HERO_EINVAL, "html_unescape: NULL argument");
    while (i < len) {
        size_t j, k;
        char rep[8];
        int rl;
        if (s[i] != '&') {
            j = i;
            while (j < len && s[j] != '&') j++;
            hero__mbuf_put(&b, in + i, j - i);
            i = j;
            continue;
        }
        j = i + 1;
        if (j < len && s[j] == '#') {
            /* &#[0-9]+;? or &#[xX][0-9a-fA-F]+;? */
            int hex = j + 1 < len && (s[j + 1] == 'x' || s[j + 1] == 'X');
            uint64_t num = 0;
            k = j + 1 + (size_t)hex;
            j = k;
            while (k < len && ((s[k] >= '0' && s[k] <= '9') || (hex && (s[k] | 0x20) >= 'a' && (s[k] | 0x20) <= 'f'))) {
                int d = s[k] <= '9' ? s[k] - '0' : (s[k] | 0x20) - 'a' + 10;
                num = num * (hex ? 16u : 10u) + (uint64_t)d;
                if (num > 0x110000) num = 0x110000; /* anything larger reads as > U+10FFFF */
                k++;
            }
            if (k == j) { hero__mbuf_put(&b, "&", 1); i++; continue; } /* no digits: not a reference */
            if (k < len && s[k] == ';') k++;
            rl = hero__mcharref(num, rep);
            hero__mbuf_put(&b, rep, (size_t)rl);
            i = k;
            continue;
        }
        /* named: [^\t\n\f <&#;]{1,32};? (32 characters, not bytes) */
        {
            size_t nchars = 0, x, ends[34];
            const hero__ment *e = NULL;
            int semi = 0;
            k = j;
            while (k < len && nchars < 32) {
                unsigned char c = s[k];
                uint32_t cp;
                int l;
                if (c == '\t' || c == '\n' || c == '\f' || c == ' ' || c == '<' || c == '&' || c == '#' || c == ';') break;
                l = hero__mutf8_dec(s + k, len - k, &cp);
                k += l ? (size_t)l : 1;
                ends[++nchars] = k;
            }
            if (nchars == 0) { hero__mbuf_put(&b, "&", 1); i++; continue; }
            if (k < len && s[k] == ';') semi = 1;
            /* the whole name (with its ';' if any) */
            e = hero__ment_find(in + j, k - j);
            if (e && (semi || e->bare)) {
                hero__mbuf_put(&b, e->value, strlen(e->value));
                i = k + (size_t)semi;
                continue;
            }
            /* the longest prefix (2..len-1 characters of the name with its ';') that is a legacy name */
            e = NULL;
            for (x = nchars + (size_t)semi - 1; x >= 2; x--) {
                size_t end = x <= nchars ? ends[x] : k;
                const hero__ment *c = hero__ment_find(in + j, end - j);
                if (c && c->bare) { e = c; k = end; break; }
            }
            if (e) {
                hero__mbuf_put(&b, e->value, strlen(e->value));
                i = k;
                continue;
            }
            hero__mbuf_put(&b, "&", 1);
            i++;
        }
    }
    *out = hero__mbuf_take(&b, out_len);
    if (!*out) return hero__fail(err, HERO_ENOMEM, "html_unescape: out of memory (%zu bytes)", len);
    return 0;
}

/* ======================================================================================
   Python's str.isupper() / str.lower(): Unicode 14 case properties (Python 3.11)
   ====================================================================================== */

/* {lo, hi, step, kind, delta}: the code points lo, lo+step, ... <= hi are upper case (kind 1,
   lower-case mapping cp + delta), lower case (2) or title case (3, mapping cp + delta).
   Generated from Python 3.11's str.isupper / islower / istitle / lower on every code point. */
typedef struct hero__mcase { uint32_t lo, hi; uint8_t step, kind; int32_t delta; } hero__mcase;
static const hero__mcase hero__mcases[] = {
    {0x41, 0x5A, 1, 1, 32}, {0x61, 0x7A, 1, 2, 0}, {0xAA, 0xAA, 1, 2, 0}, {0xB5, 0xB5, 1, 2, 0},
    {0xBA, 0xBA, 1, 2, 0}, {0xC0, 0xD6, 1, 1, 32}, {0xD8, 0xDE, 1, 1, 32}, {0xDF, 0xF6, 1, 2, 0},
    {0xF8, 0xFF, 1, 2, 0}, {0x100, 0x12E, 2, 1, 1}, {0x101, 0x137, 2, 2, 0}, {0x130, 0x130, 1, 1, 0},
    {0x132, 0x136, 2, 1, 1}, {0x138, 0x148, 2, 2, 0}, {0x139, 0x147, 2, 1, 1}, {0x149, 0x177, 2, 2, 0},
    {0x14A, 0x176, 2, 1, 1}, {0x178, 0x178, 1, 1, -121}, {0x179, 0x17D, 2, 1, 1},
    {0x17A, 0x180, 2, 2, 0}, {0x17F, 0x17F, 1, 2, 0}, {0x181, 0x181, 1, 1, 210},
    {0x182, 0x184, 2, 1, 1}, {0x183, 0x185, 2, 2, 0}, {0x186, 0x186, 1, 1, 206},
    {0x187, 0x187, 1, 1, 1}, {0x188, 0x188, 1, 2, 0}, {0x189, 0x18A, 1, 1, 205},
    {0x18B, 0x18B, 1, 1, 1}, {0x18C, 0x18D, 1, 2, 0}, {0x18E, 0x18E, 1, 1, 79},
    {0x18F, 0x18F, 1, 1, 202}, {0x190, 0x190, 1, 1, 203}, {0x191, 0x191, 1, 1, 1},
    {0x192, 0x192, 1, 2, 0}, {0x193, 0x193, 1, 1, 205}, {0x194, 0x194, 1, 1, 207},
    {0x195, 0x195, 1, 2, 0}, {0x196, 0x196, 1, 1, 211}, {0x197, 0x197, 1, 1, 209},
    {0x198, 0x198, 1, 1, 1}, {0x199, 0x19B, 1, 2, 0}, {0x19C, 0x19C, 1, 1, 211},
    {0x19D, 0x19D, 1, 1, 213}, {0x19E, 0x19E, 1, 2, 0}, {0x19F, 0x19F, 1, 1, 214},
    {0x1A0, 0x1A4, 2, 1, 1}, {0x1A1, 0x1A5, 2, 2, 0}, {0x1A6, 0x1A6, 1, 1, 218},
    {0x1A7, 0x1A7, 1, 1, 1}, {0x1A8, 0x1AA, 2, 2, 0}, {0x1A9, 0x1A9, 1, 1, 218},
    {0x1AB, 0x1AD, 2, 2, 0}, {0x1AC, 0x1AC, 1, 1, 1}, {0x1AE, 0x1AE, 1, 1, 218},
    {0x1AF, 0x1AF, 1, 1, 1}, {0x1B0, 0x1B0, 1, 2, 0}, {0x1B1, 0x1B2, 1, 1, 217},
    {0x1B3, 0x1B5, 2, 1, 1}, {0x1B4, 0x1B6, 2, 2, 0}, {0x1B7, 0x1B7, 1, 1, 219},
    {0x1B8, 0x1B8, 1, 1, 1}, {0x1B9, 0x1BA, 1, 2, 0}, {0x1BC, 0x1BC, 1, 1, 1}, {0x1BD, 0x1BF, 1, 2, 0},
    {0x1C4, 0x1C4, 1, 1, 2}, {0x1C5, 0x1C5, 1, 3, 1}, {0x1C6, 0x1C6, 1, 2, 0}, {0x1C7, 0x1C7, 1, 1, 2},
    {0x1C8, 0x1C8, 1, 3, 1}, {0x1C9, 0x1C9, 1, 2, 0}, {0x1CA, 0x1CA, 1, 1, 2}, {0x1CB, 0x1CB, 1, 3, 1},
    {0x1CC, 0x1DC, 2, 2, 0}, {0x1CD, 0x1DB, 2, 1, 1}, {0x1DD, 0x1EF, 2, 2, 0}, {0x1DE, 0x1EE, 2, 1, 1},
    {0x1F0, 0x1F0, 1, 2, 0}, {0x1F1, 0x1F1, 1, 1, 2}, {0x1F2, 0x1F2, 1, 3, 1}, {0x1F3, 0x1F5, 2, 2, 0},
    {0x1F4, 0x1F4, 1, 1, 1}, {0x1F6, 0x1F6, 1, 1, -97}, {0x1F7, 0x1F7, 1, 1, -56},
    {0x1F8, 0x21E, 2, 1, 1}, {0x1F9, 0x239, 2, 2, 0}, {0x220, 0x220, 1, 1, -130},
    {0x222, 0x232, 2, 1, 1}, {0x234, 0x238, 2, 2, 0}, {0x23A, 0x23A, 1, 1, 10795},
    {0x23B, 0x23B, 1, 1, 1}, {0x23C, 0x23C, 1, 2, 0}, {0x23D, 0x23D, 1, 1, -163},
    {0x23E, 0x23E, 1, 1, 10792}, {0x23F, 0x240, 1, 2, 0}, {0x241, 0x241, 1, 1, 1},
    {0x242, 0x242, 1, 2, 0}, {0x243, 0x243, 1, 1, -195}, {0x244, 0x244, 1, 1, 69},
    {0x245, 0x245, 1, 1, 71}, {0x246, 0x24E, 2, 1, 1}, {0x247, 0x2B7, 2, 2, 0},
    {0x250, 0x292, 2, 2, 0}, {0x296, 0x2B8, 2, 2, 0}, {0x2C0, 0x2C1, 1, 2, 0}, {0x2E0, 0x2E4, 1, 2, 0},
    {0x345, 0x345, 1, 2, 0}, {0x370, 0x372, 2, 1, 1}, {0x371, 0x373, 2, 2, 0}, {0x376, 0x376, 1, 1, 1},
    {0x377, 0x377, 1, 2, 0}, {0x37A, 0x37D, 1, 2, 0}, {0x37F, 0x37F, 1, 1, 116},
    {0x386, 0x386, 1, 1, 38}, {0x388, 0x38A, 1, 1, 37}, {0x38C, 0x38C, 1, 1, 64},
    {0x38E, 0x38F, 1, 1, 63}, {0x390, 0x390, 1, 2, 0}, {0x391, 0x3A1, 1, 1, 32},
    {0x3A3, 0x3AB, 1, 1, 32}, {0x3AC, 0x3CE, 1, 2, 0}, {0x3CF, 0x3CF, 1, 1, 8},
    {0x3D0, 0x3D1, 1, 2, 0}, {0x3D2, 0x3D4, 1, 1, 0}, {0x3D5, 0x3F5, 2, 2, 0}, {0x3D6, 0x3D6, 1, 2, 0},
    {0x3D8, 0x3EE, 2, 1, 1}, {0x3F0, 0x3F2, 2, 2, 0}, {0x3F4, 0x3F4, 1, 1, -60},
    {0x3F7, 0x3F7, 1, 1, 1}, {0x3F8, 0x3F8, 1, 2, 0}, {0x3F9, 0x3F9, 1, 1, -7},
    {0x3FA, 0x3FA, 1, 1, 1}, {0x3FB, 0x3FC, 1, 2, 0}, {0x3FD, 0x3FF, 1, 1, -130},
    {0x400, 0x40F, 1, 1, 80}, {0x410, 0x42F, 1, 1, 32}, {0x430, 0x45F, 1, 2, 0},
    {0x460, 0x480, 2, 1, 1}, {0x461, 0x481, 2, 2, 0}, {0x48A, 0x4BE, 2, 1, 1}, {0x48B, 0x4BF, 2, 2, 0},
    {0x4C0, 0x4C0, 1, 1, 15}, {0x4C1, 0x4CD, 2, 1, 1}, {0x4C2, 0x4CE, 2, 2, 0},
    {0x4CF, 0x52F, 2, 2, 0}, {0x4D0, 0x52E, 2, 1, 1}, {0x531, 0x556, 1, 1, 48},
    {0x560, 0x588, 1, 2, 0}, {0x10A0, 0x10C5, 1, 1, 7264}, {0x10C7, 0x10C7, 1, 1, 7264},
    {0x10CD, 0x10CD, 1, 1, 7264}, {0x10D0, 0x10FA, 1, 2, 0}, {0x10FD, 0x10FF, 1, 2, 0},
    {0x13A0, 0x13EF, 1, 1, 38864}, {0x13F0, 0x13F5, 1, 1, 8}, {0x13F8, 0x13FD, 1, 2, 0},
    {0x1C80, 0x1C88, 1, 2, 0}, {0x1C90, 0x1CBA, 1, 1, -3008}, {0x1CBD, 0x1CBF, 1, 1, -3008},
    {0x1D00, 0x1DBF, 1, 2, 0}, {0x1E00, 0x1E94, 2, 1, 1}, {0x1E01, 0x1F07, 2, 2, 0},
    {0x1E96, 0x1E9C, 2, 2, 0}, {0x1E9E, 0x1E9E, 1, 1, -7615}, {0x1EA0, 0x1EFE, 2, 1, 1},
    {0x1F00, 0x1F06, 2, 2, 0}, {0x1F08, 0x1F0F, 1, 1, -8}, {0x1F10, 0x1F15, 1, 2, 0},
    {0x1F18, 0x1F1D, 1, 1, -8}, {0x1F20, 0x1F27, 1, 2, 0}, {0x1F28, 0x1F2F, 1, 1, -8},
    {0x1F30, 0x1F37, 1, 2, 0}, {0x1F38, 0x1F3F, 1, 1, -8}, {0x1F40, 0x1F45, 1, 2, 0},
    {0x1F48, 0x1F4D, 1, 1, -8}, {0x1F50, 0x1F57, 1, 2, 0}, {0x1F59, 0x1F5F, 2, 1, -8},
    {0x1F60, 0x1F67, 1, 2, 0}, {0x1F68, 0x1F6F, 1, 1, -8}, {0x1F70, 0x1F7D, 1, 2, 0},
    {0x1F80, 0x1F87, 1, 2, 0}, {0x1F88, 0x1F8F, 1, 3, -8}, {0x1F90, 0x1F97, 1, 2, 0},
    {0x1F98, 0x1F9F, 1, 3, -8}, {0x1FA0, 0x1FA7, 1, 2, 0}, {0x1FA8, 0x1FAF, 1, 3, -8},
    {0x1FB0, 0x1FB4, 1, 2, 0}, {0x1FB6, 0x1FB7, 1, 2, 0}, {0x1FB8, 0x1FB9, 1, 1, -8},
    {0x1FBA, 0x1FBB, 1, 1, -74}, {0x1FBC, 0x1FBC, 1, 3, -9}, {0x1FBE, 0x1FBE, 1, 2, 0},
    {0x1FC2, 0x1FC4, 1, 2, 0}, {0x1FC6, 0x1FC7, 1, 2, 0}, {0x1FC8, 0x1FCB, 1, 1, -86},
    {0x1FCC, 0x1FCC, 1, 3, -9}, {0x1FD0, 0x1FD3, 1, 2, 0}, {0x1FD6, 0x1FD7, 1, 2, 0},
    {0x1FD8, 0x1FD9, 1, 1, -8}, {0x1FDA, 0x1FDB, 1, 1, -100}, {0x1FE0, 0x1FE7, 1, 2, 0},
    {0x1FE8, 0x1FE9, 1, 1, -8}, {0x1FEA, 0x1FEB, 1, 1, -112}, {0x1FEC, 0x1FEC, 1, 1, -7},
    {0x1FF2, 0x1FF4, 1, 2, 0}, {0x1FF6, 0x1FF7, 1, 2, 0}, {0x1FF8, 0x1FF9, 1, 1, -128},
    {0x1FFA, 0x1FFB, 1, 1, -126}, {0x1FFC, 0x1FFC, 1, 3, -9}, {0x2071, 0x2071, 1, 2, 0},
    {0x207F, 0x207F, 1, 2, 0}, {0x2090, 0x209C, 1, 2, 0}, {0x2102, 0x2102, 1, 1, 0},
    {0x2107, 0x2107, 1, 1, 0}, {0x210A, 0x210A, 1, 2, 0}, {0x210B, 0x210D, 1, 1, 0},
    {0x210E, 0x210F, 1, 2, 0}, {0x2110, 0x2112, 1, 1, 0}, {0x2113, 0x2113, 1, 2, 0},
    {0x2115, 0x2115, 1, 1, 0}, {0x2119, 0x211D, 1, 1, 0}, {0x2124, 0x2124, 1, 1, 0},
    {0x2126, 0x2126, 1, 1, -7517}, {0x2128, 0x2128, 1, 1, 0}, {0x212A, 0x212A, 1, 1, -8383},
    {0x212B, 0x212B, 1, 1, -8262}, {0x212C, 0x212D, 1, 1, 0}, {0x212F, 0x212F, 1, 2, 0},
    {0x2130, 0x2131, 1, 1, 0}, {0x2132, 0x2132, 1, 1, 28}, {0x2133, 0x2133, 1, 1, 0},
    {0x2134, 0x2134, 1, 2, 0}, {0x2139, 0x2139, 1, 2, 0}, {0x213C, 0x213D, 1, 2, 0},
    {0x213E, 0x213F, 1, 1, 0}, {0x2145, 0x2145, 1, 1, 0}, {0x2146, 0x2149, 1, 2, 0},
    {0x214E, 0x214E, 1, 2, 0}, {0x2160, 0x216F, 1, 1, 16}, {0x2170, 0x217F, 1, 2, 0},
    {0x2183, 0x2183, 1, 1, 1}, {0x2184, 0x2184, 1, 2, 0}, {0x24B6, 0x24CF, 1, 1, 26},
    {0x24D0, 0x24E9, 1, 2, 0}, {0x2C00, 0x2C2F, 1, 1, 48}, {0x2C30, 0x2C5F, 1, 2, 0},
    {0x2C60, 0x2C60, 1, 1, 1}, {0x2C61, 0x2C61, 1, 2, 0}, {0x2C62, 0x2C62, 1, 1, -10743},
    {0x2C63, 0x2C63, 1, 1, -3814}, {0x2C64, 0x2C64, 1, 1, -10727}, {0x2C65, 0x2C66, 1, 2, 0},
    {0x2C67, 0x2C6B, 2, 1, 1}, {0x2C68, 0x2C6C, 2, 2, 0}, {0x2C6D, 0x2C6D, 1, 1, -10780},
    {0x2C6E, 0x2C6E, 1, 1, -10749}, {0x2C6F, 0x2C6F, 1, 1, -10783}, {0x2C70, 0x2C70, 1, 1, -10782},
    {0x2C71, 0x2C73, 2, 2, 0}, {0x2C72, 0x2C72, 1, 1, 1}, {0x2C74, 0x2C7C, 2, 2, 0},
    {0x2C75, 0x2C75, 1, 1, 1}, {0x2C77, 0x2C7D, 2, 2, 0}, {0x2C7E, 0x2C7F, 1, 1, -10815},
    {0x2C80, 0x2CE2, 2, 1, 1}, {0x2C81, 0x2CE3, 2, 2, 0}, {0x2CE4, 0x2CE4, 1, 2, 0},
    {0x2CEB, 0x2CED, 2, 1, 1}, {0x2CEC, 0x2CEE, 2, 2, 0}, {0x2CF2, 0x2CF2, 1, 1, 1},
    {0x2CF3, 0x2CF3, 1, 2, 0}, {0x2D00, 0x2D25, 1, 2, 0}, {0x2D27, 0x2D27, 1, 2, 0},
    {0x2D2D, 0x2D2D, 1, 2, 0}, {0xA640, 0xA66C, 2, 1, 1}, {0xA641, 0xA66D, 2, 2, 0},
    {0xA680, 0xA69A, 2, 1, 1}, {0xA681, 0xA69D, 2, 2, 0}, {0xA69C, 0xA69C, 1, 2, 0},
    {0xA722, 0xA72E, 2, 1, 1}, {0xA723, 0xA777, 2, 2, 0}, {0xA730, 0xA730, 1, 2, 0},
    {0xA732, 0xA76E, 2, 1, 1}, {0xA770, 0xA77C, 2, 2, 0}, {0xA779, 0xA77B, 2, 1, 1},
    {0xA77D, 0xA77D, 1, 1, -35332}, {0xA77E, 0xA786, 2, 1, 1}, {0xA77F, 0xA787, 2, 2, 0},
    {0xA78B, 0xA78B, 1, 1, 1}, {0xA78C, 0xA78E, 2, 2, 0}, {0xA78D, 0xA78D, 1, 1, -42280},
    {0xA790, 0xA792, 2, 1, 1}, {0xA791, 0xA7A9, 2, 2, 0}, {0xA794, 0xA794, 1, 2, 0},
    {0xA796, 0xA7A8, 2, 1, 1}, {0xA7AA, 0xA7AA, 1, 1, -42308}, {0xA7AB, 0xA7AB, 1, 1, -42319},
    {0xA7AC, 0xA7AC, 1, 1, -42315}, {0xA7AD, 0xA7AD, 1, 1, -42305}, {0xA7AE, 0xA7AE, 1, 1, -42308},
    {0xA7AF, 0xA7AF, 1, 2, 0}, {0xA7B0, 0xA7B0, 1, 1, -42258}, {0xA7B1, 0xA7B1, 1, 1, -42282},
    {0xA7B2, 0xA7B2, 1, 1, -42261}, {0xA7B3, 0xA7B3, 1, 1, 928}, {0xA7B4, 0xA7C2, 2, 1, 1},
    {0xA7B5, 0xA7C3, 2, 2, 0}, {0xA7C4, 0xA7C4, 1, 1, -48}, {0xA7C5, 0xA7C5, 1, 1, -42307},
    {0xA7C6, 0xA7C6, 1, 1, -35384}, {0xA7C7, 0xA7C9, 2, 1, 1}, {0xA7C8, 0xA7CA, 2, 2, 0},
    {0xA7D0, 0xA7D0, 1, 1, 1}, {0xA7D1, 0xA7D9, 2, 2, 0}, {0xA7D6, 0xA7D8, 2, 1, 1},
    {0xA7F5, 0xA7F5, 1, 1, 1}, {0xA7F6, 0xA7FA, 2, 2, 0}, {0xA7F9, 0xA7F9, 1, 2, 0},
    {0xAB30, 0xAB5A, 1, 2, 0}, {0xAB5C, 0xAB68, 1, 2, 0}, {0xAB70, 0xABBF, 1, 2, 0},
    {0xFB00, 0xFB06, 1, 2, 0}, {0xFB13, 0xFB17, 1, 2, 0}, {0xFF21, 0xFF3A, 1, 1, 32},
    {0xFF41, 0xFF5A, 1, 2, 0}, {0x10400, 0x10427, 1, 1, 40}, {0x10428, 0x1044F, 1, 2, 0},
    {0x104B0, 0x104D3, 1, 1, 40}, {0x104D8, 0x104FB, 1, 2, 0}, {0x10570, 0x10594, 2, 1, 39},
    {0x10571, 0x10579, 2, 1, 39}, {0x1057D, 0x10589, 2, 1, 39}, {0x1058D, 0x10591, 2, 1, 39},
    {0x10595, 0x10595, 1, 1, 39}, {0x10597, 0x105BB, 2, 2, 0}, {0x10598, 0x105A0, 2, 2, 0},
    {0x105A4, 0x105B0, 2, 2, 0}, {0x105B4, 0x105B8, 2, 2, 0}, {0x105BC, 0x105BC, 1, 2, 0},
    {0x10780, 0x10780, 1, 2, 0}, {0x10783, 0x107AF, 2, 2, 0}, {0x10784, 0x10784, 1, 2, 0},
    {0x10788, 0x107BA, 2, 2, 0}, {0x107B3, 0x107B9, 2, 2, 0}, {0x10C80, 0x10CB2, 1, 1, 64},
    {0x10CC0, 0x10CF2, 1, 2, 0}, {0x118A0, 0x118BF, 1, 1, 32}, {0x118C0, 0x118DF, 1, 2, 0},
    {0x16E40, 0x16E5F, 1, 1, 32}, {0x16E60, 0x16E7F, 1, 2, 0}, {0x1D400, 0x1D419, 1, 1, 0},
    {0x1D41A, 0x1D433, 1, 2, 0}, {0x1D434, 0x1D44D, 1, 1, 0}, {0x1D44E, 0x1D466, 2, 2, 0},
    {0x1D44F, 0x1D453, 2, 2, 0}, {0x1D457, 0x1D467, 2, 2, 0}, {0x1D468, 0x1D481, 1, 1, 0},
    {0x1D482, 0x1D49B, 1, 2, 0}, {0x1D49C, 0x1D49E, 2, 1, 0}, {0x1D49F, 0x1D49F, 1, 1, 0},
    {0x1D4A2, 0x1D4A2, 1, 1, 0}, {0x1D4A5, 0x1D4A6, 1, 1, 0}, {0x1D4A9, 0x1D4AC, 1, 1, 0},
    {0x1D4AE, 0x1D4B5, 1, 1, 0}, {0x1D4B6, 0x1D4B9, 1, 2, 0}, {0x1D4BB, 0x1D4CF, 2, 2, 0},
    {0x1D4BE, 0x1D4C2, 2, 2, 0}, {0x1D4C6, 0x1D4CE, 2, 2, 0}, {0x1D4D0, 0x1D4E9, 1, 1, 0},
    {0x1D4EA, 0x1D503, 1, 2, 0}, {0x1D504, 0x1D505, 1, 1, 0}, {0x1D507, 0x1D50A, 1, 1, 0},
    {0x1D50D, 0x1D514, 1, 1, 0}, {0x1D516, 0x1D51C, 1, 1, 0}, {0x1D51E, 0x1D537, 1, 2, 0},
    {0x1D538, 0x1D539, 1, 1, 0}, {0x1D53B, 0x1D53E, 1, 1, 0}, {0x1D540, 0x1D544, 1, 1, 0},
    {0x1D546, 0x1D546, 1, 1, 0}, {0x1D54A, 0x1D550, 1, 1, 0}, {0x1D552, 0x1D56B, 1, 2, 0},
    {0x1D56C, 0x1D585, 1, 1, 0}, {0x1D586, 0x1D59F, 1, 2, 0}, {0x1D5A0, 0x1D5B9, 1, 1, 0},
    {0x1D5BA, 0x1D5D3, 1, 2, 0}, {0x1D5D4, 0x1D5ED, 1, 1, 0}, {0x1D5EE, 0x1D607, 1, 2, 0},
    {0x1D608, 0x1D621, 1, 1, 0}, {0x1D622, 0x1D63B, 1, 2, 0}, {0x1D63C, 0x1D655, 1, 1, 0},
    {0x1D656, 0x1D66F, 1, 2, 0}, {0x1D670, 0x1D689, 1, 1, 0}, {0x1D68A, 0x1D6A5, 1, 2, 0},
    {0x1D6A8, 0x1D6C0, 1, 1, 0}, {0x1D6C2, 0x1D6DA, 1, 2, 0}, {0x1D6DC, 0x1D6E1, 1, 2, 0},
    {0x1D6E2, 0x1D6FA, 1, 1, 0}, {0x1D6FC, 0x1D714, 1, 2, 0}, {0x1D716, 0x1D71B, 1, 2, 0},
    {0x1D71C, 0x1D734, 1, 1, 0}, {0x1D736, 0x1D74E, 1, 2, 0}, {0x1D750, 0x1D755, 1, 2, 0},
    {0x1D756, 0x1D76E, 1, 1, 0}, {0x1D770, 0x1D788, 1, 2, 0}, {0x1D78A, 0x1D78F, 1, 2, 0},
    {0x1D790, 0x1D7A8, 1, 1, 0}, {0x1D7AA, 0x1D7C2, 1, 2, 0}, {0x1D7C4, 0x1D7C9, 1, 2, 0},
    {0x1D7CA, 0x1D7CA, 1, 1, 0}, {0x1D7CB, 0x1D7CB, 1, 2, 0}, {0x1DF00, 0x1DF09, 1, 2, 0},
    {0x1DF0B, 0x1DF1E, 1, 2, 0}, {0x1E900, 0x1E921, 1, 1, 34}, {0x1E922, 0x1E943, 1, 2, 0},
    {0x1F130, 0x1F149, 1, 1, 0}, {0x1F150, 0x1F169, 1, 1, 0}, {0x1F170, 0x1F189, 1, 1, 0}
};

/* Case kind of a code point (0 uncased) and its simple lower-case mapping. */
static int hero__mcase_of(uint32_t c, uint32_t *lower) {
    size_t i, n = sizeof hero__mcases / sizeof hero__mcases[0];
    *lower = c;
    if (c < 0x80) {
        if (c >= 'A' && c <= 'Z') { *lower = c + 32; return 1; }
        return (c >= 'a' && c <= 'z') ? 2 : 0;
    }
    for (i = 0; i < n && hero__mcases[i].lo <= c; i++) {
        const hero__mcase *m = &hero__mcases[i];
        if (c <= m->hi && (c - m->lo) % m->step == 0) {
            if (m->kind != 2) *lower = (uint32_t)((int32_t)c + m->delta);
            return m->kind;
        }
    }
    return 0;
}

HERODEF int hero_text_isupper(const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    int cased = 0;
    while (s && i < len) {
        uint32_t c, lo;
        int l = hero__mutf8_dec(p + i, len - i, &c), k;
        if (!l) { i++; continue; }
        i += (size_t)l;
        k = hero__mcase_of(c, &lo);
        if (k == 2 || k == 3) return 0;
        if (k == 1) cased = 1;
    }
    return cased;
}

/* Python's final-sigma context: Case_Ignorable (subset, see the API) */
static int hero__mcase_ignorable(uint32_t c) {
    return c == 0x27 || c == 0x2E || c == 0x3A || c == 0xB7 || c == 0x2018 || c == 0x2019 || c == 0x2024 ||
           c == 0x2027 || c == 0xAD || (c >= 0x300 && c <= 0x36F);
}

/* Is the capital sigma at byte i (length l) final: a cased letter before it and none after
   (case-ignorable characters skipped)? */
static int hero__mfinal_sigma(const unsigned char *p, size_t len, size_t i, size_t l) {
    size_t j = i;
    int before = 0, after = 0;
    uint32_t c, lo;
    while (j > 0) { /* walk back one code point at a time */
        size_t st = j - 1;
        int q;
        while (st > 0 && (p[st] & 0xC0) == 0x80 && j - st < 4) st--;
        q = hero__mutf8_dec(p + st, len - st, &c);
        if (!q || st + (size_t)q != j) break;
        if (hero__mcase_ignorable(c)) { j = st; continue; }
        before = hero__mcase_of(c, &lo) != 0;
        break;
    }
    if (!before) return 0;
    j = i + l;
    while (j < len) {
        int q = hero__mutf8_dec(p + j, len - j, &c);
        if (!q) break;
        if (hero__mcase_ignorable(c)) { j += (size_t)q; continue; }
        after = hero__mcase_of(c, &lo) != 0;
        break;
    }
    return !after;
}

HERODEF int hero_text_lower(const char *in, size_t len, char **out, size_t *out_len, hero_error *err) {
    hero__mbuf b;
    const unsigned char *p = (const unsigned char *)in;
    size_t i = 0;
    memset(&b, 0, sizeof b);
    if (out) *out = NULL;
    if (out_len) *out_len = 0;
    if (!out || (!in && len)) return hero__fail(err, HERO_EINVAL, "text_lower: NULL argument");
    while (i < len) {
        uint32_t c, lo;
        char o[8];
        int l = hero__mutf8_dec(p + i, len - i, &c), ol;
        if (!l) { hero__mbuf_put(&b, in + i, 1); i++; continue; }
        if (c < 0x80) {
            o[0] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            hero__mbuf_put(&b, o, 1);
            i++;
            continue;
        }
        if (c == 0x130) { /* LATIN CAPITAL LETTER I WITH DOT ABOVE -> i + COMBINING DOT ABOVE */
            hero__mbuf_put(&b, "i\xCC\x87", 3);
        } else if (c == 0x3A3) {
            lo = hero__mfinal_sigma(p, len, i, (size_t)l) ? 0x3C2 : 0x3C3;
            ol = hero__mutf8_enc(lo, o);
            hero__mbuf_put(&b, o, (size_t)ol);
        } else {
            hero__mcase_of(c, &lo);
            ol = hero__mutf8_enc(lo, o);
            hero__mbuf_put(&b, o, (size_t)ol);
        }
        i += (size_t)l;
    }
    *out = hero__mbuf_take(&b, out_len);
    if (!*out) return hero__fail(err, HERO_ENOMEM, "text_lower: out of memory (%zu bytes)", len);
    return 0;
}

HERODEF int hero_text_normalize(const char *in, size_t len, int unescape, char **out, size_t *out_len,
                                hero_error *err) {
    char *u = NULL;
    size_t ul = 0;
    int rc;
    if (out) *out = NULL;
    if (out_len) *out_len = 0;
    if (!out || (!in && len)) return hero__fail(err, HERO_EINVAL, "text_normalize: NULL argument");
    if (unescape) {
        if ((rc = hero_html_unescape(in, len, &u, &ul, err)) != 0) return rc;
    } else {
        if (!(u = hero__mstrndup(in ? in : "", len))) return hero__fail(err, HERO_ENOMEM, "text_normalize: out of memory");
        ul = len;
    }
    if (hero_text_isupper(u, ul)) {
        rc = hero_text_lower(u, ul, out, out_len, err);
        HERO_FREE(u);
        return rc;
    }
    *out = u;
    if (out_len) *out_len = ul;
    return 0;
}

/* ======================================================================================
   Subtitles: SRT and the official JSONL
   ====================================================================================== */

HERODEF void hero_subtitles_free(hero_subtitles *s) {
    int i;
    if (!s) return;
    for (i = 0; i < s->n && s->subs; i++) HERO_FREE(s->subs[i].text);
    HERO_FREE(s->subs);
    HERO_FREE(s->name);
    memset(s, 0, sizeof *s);
}

HERODEF void hero_subs_list_free(hero_subtitles *list, int n) {
    int i;
    if (!list) return;
    for (i = 0; i < n; i++) hero_subtitles_free(&list[i]);
    HERO_FREE(list);
}

HERODEF const hero_subtitles *hero_subs_find(const hero_subtitles *list, int n, const char *name) {
    int i;
    if (!list || !name) return NULL;
    for (i = n - 1; i >= 0; i--)
        if (list[i].name && strcmp(list[i].name, name) == 0) return &list[i];
    return NULL;
}

/* Appends a cue (text owned by the list afterwards; freed on failure). */
static int hero__msubs_push(hero_subtitles *s, int *cap, double st, double ed, char *text) {
    if (s->n == *cap) {
        int nc = *cap ? 2 * *cap : 16;
        hero_sub *p;
        if (nc > HERO_SUBS_MAX_CUES) nc = HERO_SUBS_MAX_CUES;
        if (s->n >= nc) { HERO_FREE(text); return HERO_ELIMIT; }
        p = (hero_sub *)HERO_REALLOC(s->subs, (size_t)nc * sizeof(hero_sub));
        if (!p) { HERO_FREE(text); return HERO_ENOMEM; }
        s->subs = p;
        *cap = nc;
    }
    s->subs[s->n].start = st;
    s->subs[s->n].end = ed;
    s->subs[s->n].text = text;
    s->n++;
    return 0;
}

/* Stable sort by the float32 start (what the official assert compares): merge sort. */
static int hero__msubs_sort(hero_subtitles *s) {
    hero_sub *tmp;
    int w, i, sorted = 1;
    for (i = 1; i < s->n; i++)
        if ((float)s->subs[i].start < (float)s->subs[i - 1].start) { sorted = 0; break; }
    if (sorted) return 0;
    tmp = (hero_sub *)HERO_MALLOC((size_t)s->n * sizeof(hero_sub));
    if (!tmp) return HERO_ENOMEM;
    for (w = 1; w < s->n; w *= 2) {
        for (i = 0; i < s->n; i += 2 * w) {
            int a = i, am = i + w < s->n ? i + w : s->n, b = am, bm = i + 2 * w < s->n ? i + 2 * w : s->n, k = i;
            while (a < am && b < bm)
                tmp[k++] = (float)s->subs[b].start < (float)s->subs[a].start ? s->subs[b++] : s->subs[a++];
            while (a < am) tmp[k++] = s->subs[a++];
            while (b < bm) tmp[k++] = s->subs[b++];
        }
        memcpy(s->subs, tmp, (size_t)s->n * sizeof(hero_sub));
        if (w > s->n / 2) break;
    }
    HERO_FREE(tmp);
    return 0;
}

/* One line of the text: [*pos, end of line), advancing *pos past the line end (\n, \r\n, \r). */
static void hero__mline(const char *d, size_t len, size_t *pos, size_t *ls, size_t *le) {
    size_t i = *pos;
    *ls = i;
    while (i < len && d[i] != '\n' && d[i] != '\r') i++;
    *le = i;
    if (i < len && d[i] == '\r') i++;
    if (i < len && d[i] == '\n' && (i == *le || d[i - 1] == '\r')) i++;
    *pos = i;
}

static int hero__mspace(char c) { return c == ' ' || c == '\t' || c == '\f' || c == '\v'; }

/* Parses an SRT time "[H+:]MM:SS[,.]f*" at d[*i..e); returns 0 and the seconds, or -1. */
static int hero__msrt_time(const char *d, size_t *i, size_t e, double *t) {
    uint64_t f[3] = {0, 0, 0}, frac = 0, scale = 1;
    int nf = 0, digits;
    size_t k = *i;
    for (;;) {
        digits = 0;
        while (k < e && d[k] >= '0' && d[k] <= '9') {
            if (f[nf] > 100000000u) return -1;
            f[nf] = f[nf] * 10 + (uint64_t)(d[k] - '0');
            k++;
            digits++;
        }
        if (!digits) return -1;
        if (k < e && d[k] == ':' && nf < 2) { nf++; k++; continue; }
        break;
    }
    if (nf == 0) return -1; /* needs at least MM:SS */
    if (k < e && (d[k] == ',' || d[k] == '.')) {
        k++;
        digits = 0;
        while (k < e && d[k] >= '0' && d[k] <= '9') {
            if (scale < 1000000000000000ull) { frac = frac * 10 + (uint64_t)(d[k] - '0'); scale *= 10; }
            k++;
            digits++;
        }
        if (!digits) return -1;
    }
    {
        /* exact integer arithmetic, one rounding: like Python's float("S.fff") */
        uint64_t secs = nf == 2 ? f[0] * 3600 + f[1] * 60 + f[2] : f[0] * 60 + f[1];
        const uint64_t exact = (uint64_t)1 << 53;
        if (secs > (uint64_t)HERO_SUBS_MAX_TIME) return -1;
        if (secs <= (exact - frac) / scale) *t = (double)(secs * scale + frac) / (double)scale;
        else *t = (double)secs + (double)frac / (double)scale;
    }
    *i = k;
    return 0;
}

/* A timing line "T1 --> T2 [settings]"? */
static int hero__msrt_timing(const char *d, size_t s, size_t e, double *t0, double *t1) {
    size_t i = s;
    while (i < e && hero__mspace(d[i])) i++;
    if (hero__msrt_time(d, &i, e, t0)) return 0;
    while (i < e && hero__mspace(d[i])) i++;
    if (i + 3 > e || d[i] != '-' || d[i + 1] != '-' || d[i + 2] != '>') return 0;
    i += 3;
    while (i < e && hero__mspace(d[i])) i++;
    if (hero__msrt_time(d, &i, e, t1)) return 0;
    return i == e || hero__mspace(d[i]);
}

static int hero__mblank(const char *d, size_t s, size_t e) {
    while (s < e && hero__mspace(d[s])) s++;
    return s == e;
}

static int hero__mdigits(const char *d, size_t s, size_t e) {
    while (s < e && hero__mspace(d[s])) s++;
    while (e > s && hero__mspace(d[e - 1])) e--;
    if (s == e) return 0;
    for (; s < e; s++)
        if (d[s] < '0' || d[s] > '9') return 0;
    return 1;
}

/* Is there a formatting tag at d[i..e)? Returns its length, 0 if none. */
static size_t hero__msrt_tag(const char *d, size_t i, size_t e) {
    static const char *const names[] = {"i", "b", "u", "s", "font"};
    size_t k = i + 1, n, t;
    if (d[i] == '{') {
        if (k < e && d[k] == '\\') {
            while (k < e && d[k] != '}') k++;
            if (k < e) return k + 1 - i;
        }
        return 0;
    }
    if (d[i] != '<') return 0;
    if (k < e && d[k] == '/') k++;
    for (t = 0; t < sizeof names / sizeof names[0]; t++) {
        n = strlen(names[t]);
        if (k + n <= e) {
            size_t m;
            for (m = 0; m < n; m++)
                if ((d[k + m] | 0x20) != names[t][m]) break;
            if (m == n) {
                size_t q = k + n;
                if (q < e && d[q] == '>') return q + 1 - i;
                if (t == 4 && q < e && hero__mspace(d[q])) { /* <font attributes> */
                    while (q < e && d[q] != '>') q++;
                    if (q < e) return q + 1 - i;
                }
            }
        }
    }
    return 0;
}

/* Appends one text line (trimmed, tags removed) to the cue text. */
static void hero__msrt_text(hero__mbuf *b, const char *d, size_t s, size_t e) {
    hero__mbuf line;
    size_t i, a, z;
    memset(&line, 0, sizeof line);
    for (i = s; i < e;) {
        size_t t = hero__msrt_tag(d, i, e);
        if (t) { i += t; continue; }
        hero__mbuf_put(&line, d + i, 1);
        i++;
    }
    if (line.oom) { b->oom = 1; HERO_FREE(line.s); return; }
    a = 0;
    z = line.n;
    while (a < z && hero__mspace(line.s[a])) a++;
    while (z > a && hero__mspace(line.s[z - 1])) z--;
    if (z > a) {
        if (b->n) hero__mbuf_put(b, " ", 1);
        hero__mbuf_put(b, line.s + a, z - a);
    }
    HERO_FREE(line.s);
}

/* Hands the text collected for the last cue over to it; 0 or HERO_ENOMEM. */
static int hero__msrt_close(hero_subtitles *out, hero__mbuf *cur) {
    char *t;
    if (out->n == 0 || out->subs[out->n - 1].text) return 0;
    if (!(t = hero__mbuf_take(cur, NULL))) return HERO_ENOMEM;
    out->subs[out->n - 1].text = t;
    return 0;
}

static int hero__msrt_bad(hero_subtitles *out, hero__mbuf *cur, hero_error *err, const char *nm, int line, int num_line,
                          const char *d, size_t ls, size_t le) {
    char shown[48];
    size_t n = le - ls < sizeof shown - 1 ? le - ls : sizeof shown - 1;
    memcpy(shown, d + ls, n);
    shown[n] = 0;
    HERO_FREE(cur->s);
    hero_subtitles_free(out);
    if (num_line)
        return hero__fail(err, HERO_EFORMAT, "%s:%d: expected a timing line \"HH:MM:SS,mmm --> HH:MM:SS,mmm\" after the cue number on line %d, found \"%s\"",
                          nm, line, num_line, shown);
    return hero__fail(err, HERO_EFORMAT, "%s:%d: expected a cue number or a timing line \"HH:MM:SS,mmm --> HH:MM:SS,mmm\", found \"%s\"", nm,
                      line, shown);
}

HERODEF int hero_subs_parse_srt(hero_subtitles *out, const char *data, size_t len, const char *name,
                                hero_error *err) {
    size_t pos = 0, ls, le;
    int cap = 0, line = 0, rc;
    hero__mbuf cur; /* the text of the last cue, still growing */
    const char *nm = name ? name : "<srt>";
    if (!out) return hero__fail(err, HERO_EINVAL, "%s: NULL output", nm);
    memset(out, 0, sizeof *out);
    memset(&cur, 0, sizeof cur);
    if (!data && len) return hero__fail(err, HERO_EINVAL, "%s: NULL data", nm);
    if (len > HERO_SUBS_MAX_FILE) return hero__fail(err, HERO_ELIMIT, "%s: %zu bytes, limit %zu", nm, len, HERO_SUBS_MAX_FILE);
    if (!(out->name = hero__mstrndup(nm, strlen(nm)))) return hero__fail(err, HERO_ENOMEM, "%s: out of memory", nm);
    if (len >= 3 && (unsigned char)data[0] == 0xEF && (unsigned char)data[1] == 0xBB && (unsigned char)data[2] == 0xBF) pos = 3;
    while (pos < len) {
        double t0, t1;
        hero__mline(data, len, &pos, &ls, &le);
        line++;
        if (hero__mblank(data, ls, le)) continue;
        if (hero__mdigits(data, ls, le)) { /* cue number: the timing line must follow (blank lines skipped) */
            int num_line = line;
            do {
                if (pos >= len) { ls = le = pos; break; }
                hero__mline(data, len, &pos, &ls, &le);
                line++;
            } while (hero__mblank(data, ls, le));
            if (ls == le && pos >= len) break; /* a trailing number alone: nothing to read */
            if (!hero__msrt_timing(data, ls, le, &t0, &t1)) return hero__msrt_bad(out, &cur, err, nm, line, num_line, data, ls, le);
        } else if (!hero__msrt_timing(data, ls, le, &t0, &t1)) {
            if (out->n == 0) return hero__msrt_bad(out, &cur, err, nm, line, 0, data, ls, le);
            /* text after a blank line inside a cue: it continues the last cue */
            hero__msrt_text(&cur, data, ls, le);
            if (cur.oom) break;
            continue;
        }
        /* a new cue: close the last one, then its text lines until a blank line, a timing
           line, or a number followed by a timing line */
        if (hero__msrt_close(out, &cur) || (rc = hero__msubs_push(out, &cap, t0, t1, NULL)) == HERO_ENOMEM) { cur.oom = 1; break; }
        if (rc) {
            HERO_FREE(cur.s);
            hero_subtitles_free(out);
            return hero__fail(err, rc, "%s:%d: more than %d subtitles", nm, line, HERO_SUBS_MAX_CUES);
        }
        while (pos < len) {
            size_t save = pos, s2, e2, p2;
            double a, z;
            hero__mline(data, len, &pos, &ls, &le);
            if (hero__mblank(data, ls, le)) { line++; break; }
            if (hero__msrt_timing(data, ls, le, &a, &z)) { pos = save; break; }
            if (hero__mdigits(data, ls, le) && pos < len) {
                p2 = pos;
                hero__mline(data, len, &p2, &s2, &e2);
                if (hero__msrt_timing(data, s2, e2, &a, &z)) { pos = save; break; }
            }
            line++;
            hero__msrt_text(&cur, data, ls, le);
        }
        if (cur.oom) break;
    }
    if (cur.oom || hero__msrt_close(out, &cur) || hero__msubs_sort(out)) {
        HERO_FREE(cur.s);
        int n = out->n;
        hero_subtitles_free(out);
        return hero__fail(err, HERO_ENOMEM, "%s:%d: out of memory (%d subtitles)", nm, line, n);
    }
    return 0;
}

/* The file name without directory and extension. */
static char *hero__mstem(const char *path) {
    const char *b = path, *p, *dot = NULL;
    for (p = path; *p; p++)
        if (*p == '/' || *p == '\\') b = p + 1;
    for (p = b; *p; p++)
        if (*p == '.') dot = p;
    return hero__mstrndup(b, dot && dot > b ? (size_t)(dot - b) : strlen(b));
}

HERODEF int hero_subs_read_srt(hero_subtitles *out, const char *path, hero_error *err) {
    char *buf, *stem;
    size_t n;
    int rc;
    if (out) memset(out, 0, sizeof *out);
    if (!out) return hero__fail(err, HERO_EINVAL, "read_srt: NULL output");
    if ((rc = hero__mread_file(path, HERO_SUBS_MAX_FILE, &buf, &n, err)) != 0) return rc;
    rc = hero_subs_parse_srt(out, buf, n, path, err);
    HERO_FREE(buf);
    if (rc) return rc;
    if (!(stem = hero__mstem(path))) {
        hero_subtitles_free(out);
        return hero__fail(err, HERO_ENOMEM, "%s: out of memory", path);
    }
    HERO_FREE(out->name);
    out->name = stem;
    return 0;
}

/* One JSONL line -> one video. */
static int hero__mjsonl_video(hero_subtitles *v, const hero_json *j, const char *nm, int line, hero_error *err) {
    const hero_json *name, *sub;
    int i, cap = 0, rc;
    memset(v, 0, sizeof *v);
    if (j->type != HERO_JSON_OBJECT)
        return hero__fail(err, HERO_EFORMAT, "%s:%d: expected an object {\"vid_name\": ..., \"sub\": [...]}", nm, line);
    name = hero_json_get(j, "vid_name");
    sub = hero_json_get(j, "sub");
    if (!name || name->type != HERO_JSON_STRING || strlen(name->string) != name->len)
        return hero__fail(err, name ? HERO_EFORMAT : HERO_EMISSING, "%s:%d: key \"vid_name\": expected a string (without NUL), found %s", nm,
                          line, name ? "another type" : "nothing");
    if (!sub || sub->type != HERO_JSON_ARRAY)
        return hero__fail(err, sub ? HERO_EFORMAT : HERO_EMISSING, "%s:%d: video \"%s\": key \"sub\": expected an array, found %s", nm, line,
                          name->string, sub ? "another type" : "nothing");
    if (sub->n > HERO_SUBS_MAX_CUES)
        return hero__fail(err, HERO_ELIMIT, "%s:%d: video \"%s\": %d subtitles, limit %d", nm, line, name->string, sub->n, HERO_SUBS_MAX_CUES);
    if (!(v->name = hero__mstrndup(name->string, name->len))) return hero__fail(err, HERO_ENOMEM, "%s:%d: out of memory", nm, line);
    for (i = 0; i < sub->n; i++) {
        const hero_json *e = &sub->items[i], *t, *s0, *s1;
        char *txt;
        if (e->type != HERO_JSON_OBJECT) {
            hero_subtitles_free(v);
            return hero__fail(err, HERO_EFORMAT, "%s:%d: video \"%s\": sub[%d]: expected an object {\"text\", \"start\", \"end\"}", nm, line,
                              name->string, i);
        }
        t = hero_json_get(e, "text");
        s0 = hero_json_get(e, "start");
        s1 = hero_json_get(e, "end");
        if (!t || t->type != HERO_JSON_STRING) {
            hero_subtitles_free(v);
            return hero__fail(err, t ? HERO_EFORMAT : HERO_EMISSING, "%s:%d: video \"%s\": sub[%d].text: expected a string, found %s", nm, line,
                              name->string, i, t ? "another type" : "nothing");
        }
        if (!s0 || s0->type != HERO_JSON_NUMBER || !(fabs(s0->number) <= HERO_SUBS_MAX_TIME) || !s1 ||
            s1->type != HERO_JSON_NUMBER || !(fabs(s1->number) <= HERO_SUBS_MAX_TIME)) {
            hero_subtitles_free(v);
            return hero__fail(err, (s0 && s1) ? HERO_EFORMAT : HERO_EMISSING,
                              "%s:%d: video \"%s\": sub[%d].start / .end: expected numbers of seconds within +-%g, found %s", nm, line,
                              name->string, i, HERO_SUBS_MAX_TIME, (s0 && s1) ? "another value" : "a missing key");
        }
        if (!(txt = hero__mstrndup(t->string, t->len)) || (rc = hero__msubs_push(v, &cap, s0->number, s1->number, txt)) != 0) {
            hero_subtitles_free(v);
            return hero__fail(err, HERO_ENOMEM, "%s:%d: out of memory", nm, line);
        }
    }
    if (hero__msubs_sort(v)) {
        hero_subtitles_free(v);
        return hero__fail(err, HERO_ENOMEM, "%s:%d: out of memory", nm, line);
    }
    return 0;
}

HERODEF int hero_subs_parse_jsonl(hero_subtitles **out, int *n_videos, const char *data, size_t len,
                                  const char *name, hero_error *err) {
    hero_subtitles *list = NULL;
    int n = 0, cap = 0, line = 0, rc;
    size_t pos = 0, ls, le;
    const char *nm = name ? name : "<jsonl>";
    if (out) *out = NULL;
    if (n_videos) *n_videos = 0;
    if (!out || !n_videos || (!data && len)) return hero__fail(err, HERO_EINVAL, "%s: NULL argument", nm);
    if (len > HERO_SUBS_MAX_FILE) return hero__fail(err, HERO_ELIMIT, "%s: %zu bytes, limit %zu", nm, len, HERO_SUBS_MAX_FILE);
    if (len >= 3 && (unsigned char)data[0] == 0xEF && (unsigned char)data[1] == 0xBB && (unsigned char)data[2] == 0xBF) pos = 3;
    while (pos < len) {
        hero_json j;
        hero_error je;
        size_t e;
        /* lines end at '\n' only (JSON strings cannot hold a raw newline) */
        ls = pos;
        e = pos;
        while (e < len && data[e] != '\n') e++;
        le = e;
        pos = e < len ? e + 1 : e;
        line++;
        {
            size_t a = ls;
            while (a < le && (hero__mspace(data[a]) || data[a] == '\r')) a++;
            if (a == le) continue;
        }
        if (n == cap) {
            int nc = cap ? 2 * cap : 16;
            hero_subtitles *p;
            if (nc > (1 << 24) || !(p = (hero_subtitles *)HERO_REALLOC(list, (size_t)nc * sizeof(hero_subtitles)))) {
                hero_subs_list_free(list, n);
                return hero__fail(err, nc > (1 << 24) ? HERO_ELIMIT : HERO_ENOMEM, "%s:%d: too many videos (%d)", nm, line, n);
            }
            list = p;
            cap = nc;
        }
        memset(&je, 0, sizeof je);
        if ((rc = hero_json_parse(data + ls, le - ls, &j, &je)) != 0) {
            hero_subs_list_free(list, n);
            return hero__fail(err, rc, "%s:%d: not a JSON line: %s", nm, line, je.msg);
        }
        rc = hero__mjsonl_video(&list[n], &j, nm, line, err);
        hero_json_free(&j);
        if (rc) {
            hero_subs_list_free(list, n);
            return rc;
        }
        n++;
    }
    *out = list;
    *n_videos = n;
    return 0;
}

HERODEF int hero_subs_read_jsonl(hero_subtitles **out, int *n_videos, const char *path, hero_error *err) {
    char *buf;
    size_t n;
    int rc;
    if (out) *out = NULL;
    if (n_videos) *n_videos = 0;
    if ((rc = hero__mread_file(path, HERO_SUBS_MAX_FILE, &buf, &n, err)) != 0) return rc;
    rc = hero_subs_parse_jsonl(out, n_videos, buf, n, path, err);
    HERO_FREE(buf);
    return rc;
}

/* ======================================================================================
   Alignment (prepro_sub.py process_single_vid_sub + data.py compute_sub2frames)
   ====================================================================================== */

/* numpy / Python scalar arithmetic of temporal_iou: a value and its type, because the
   official code mixes Python ints with np.float32 (numpy 1.x: float32 op float32 stays
   float32, anything with a Python number becomes float64). */
typedef struct hero__mnum { double v; int t; } hero__mnum; /* t: 0 Python int, 1 np.float32, 2 float64 */

static hero__mnum hero__mn(double v, int t) { hero__mnum r; r.v = v; r.t = t; return r; }
static hero__mnum hero__mn_min(hero__mnum a, hero__mnum b) { return b.v < a.v ? b : a; } /* Python min(a, b) */
static hero__mnum hero__mn_max(hero__mnum a, hero__mnum b) { return b.v > a.v ? b : a; }
static hero__mnum hero__mn_sub(hero__mnum a, hero__mnum b) {
    if (a.t == 1 && b.t == 1) { float x = (float)a.v, y = (float)b.v, z = x - y; return hero__mn((double)z, 1); }
    return hero__mn(a.v - b.v, a.t == 0 && b.t == 0 ? 0 : 2);
}
static double hero__mn_div(hero__mnum a, hero__mnum b) {
    if (a.t == 1 && b.t == 1) { float x = (float)a.v, y = (float)b.v, z = x / y; return (double)z; }
    return a.v / b.v;
}

/* temporal_iou([f, f+1], [ts, te]) with ts, te float32 */
static double hero__miou(int f, float ts, float te) {
    hero__mnum s1 = hero__mn((double)f, 0), e1 = hero__mn((double)f + 1, 0);
    hero__mnum s2 = hero__mn((double)ts, 1), e2 = hero__mn((double)te, 1);
    hero__mnum min_st = hero__mn_min(s1, s2), max_st = hero__mn_max(s1, s2);
    hero__mnum min_ed = hero__mn_min(e1, e2), max_ed = hero__mn_max(e1, e2);
    if (min_ed.v <= max_st.v) return 0.0;
    return hero__mn_div(hero__mn_sub(min_ed, max_st), hero__mn_sub(max_ed, min_st));
}

HERODEF void hero_sub_frames_free(hero_sub_frames *a) {
    if (!a) return;
    HERO_FREE(a->nframes);
    HERO_FREE(a->frames);
    memset(a, 0, sizeof *a);
}

#define HERO__MALIGN_MAX_WORK 2000000000.0 /* frame x subtitle checks allowed for one video */

HERODEF int hero_subs_align(const hero_subtitles *subs, int n_frames, double frame_len, int max_frames,
                            hero_sub_frames *out, hero_error *err) {
    int S = subs ? subs->n : 0, T = n_frames, Tc, i, f, rows, cut = 0, total = 0;
    int32_t *owner = NULL, *cnt = NULL, *a = NULL, *b = NULL;
    double *best = NULL, work = 0;
    const char *nm = subs && subs->name ? subs->name : "video";
    if (!out) return hero__fail(err, HERO_EINVAL, "subs_align: NULL output");
    memset(out, 0, sizeof *out);
    if (n_frames < 1 || n_frames > 0x3fffffff || !(frame_len >= 1e-6) || !(frame_len < 1e6) || (subs && (S < 0 || (S > 0 && !subs->subs))))
        return hero__fail(err, HERO_EINVAL, "%s: align: n_frames %d (need >= 1), frame_len %g (need 1e-6..1e6 s), %d subtitles", nm, n_frames,
                          frame_len, S);
    Tc = max_frames > 0 && T > max_frames ? max_frames : T;
    out->T = Tc;
    owner = (int32_t *)HERO_MALLOC((size_t)T * sizeof(int32_t));
    best = (double *)HERO_MALLOC((size_t)T * sizeof(double));
    cnt = (int32_t *)HERO_MALLOC(((size_t)(S > 0 ? S : (T + 4) / 5) + 1) * sizeof(int32_t));
    a = (int32_t *)HERO_MALLOC(((size_t)S + 1) * sizeof(int32_t));
    b = (int32_t *)HERO_MALLOC(((size_t)S + 1) * sizeof(int32_t));
    if (!owner || !best || !cnt || !a || !b) goto oom;
    for (f = 0; f < T; f++) owner[f] = -1, best[f] = 0;
    if (S == 0) {
        /* pseudo-subtitles: empty text over [0,5), [5,10), ... */
        out->pseudo = 1;
        for (f = 0; f < T; f++) owner[f] = f / 5;
        S = (T + 4) / 5;
    } else {
        float flf = (float)frame_len;
        double vid_end = frame_len * (double)T;
        /* candidate frames [a, b) of each subtitle (float32 times, numpy's floor / ceil),
           clamped to [-1, T] once the 11-frame rule is applied (only frames 0..T-1 matter) */
        for (i = 0; i < S; i++) {
            double st = subs->subs[i].start, ed = subs->subs[i].end;
            float st32, ed32, ts, te;
            double lo, hi;
            if (!(fabs(st) <= HERO_SUBS_MAX_TIME) || !(fabs(ed) <= HERO_SUBS_MAX_TIME)) {
                HERO_FREE(owner); HERO_FREE(best); HERO_FREE(cnt); HERO_FREE(a); HERO_FREE(b);
                return hero__fail(err, HERO_EINVAL, "%s: subtitle %d: start %g, end %g: expected seconds within +-%g", nm, i, st, ed,
                                  HERO_SUBS_MAX_TIME);
            }
            st32 = (float)st;
            ed32 = (float)ed;
            ts = st32 / flf;
            te = ed32 / flf;
            lo = floor((double)ts);
            hi = ceil((double)te);
            if ((double)st32 >= vid_end) hi = lo; /* starts at or after the video end: dropped */
            else if (i == S - 1) {
                /* duration = min(end, fl*T) - start: float32 - float32, or float64 - float32 */
                double dur;
                if (vid_end < (double)ed32) dur = vid_end - (double)st32;
                else { float d32 = ed32 - st32; dur = (double)d32; }
                if (dur > 16 && hi - lo > 11) hi = lo + 11;
            }
            if (lo < -1) lo = -1;
            if (lo > T) lo = T;
            if (hi < -1) hi = -1;
            if (hi > T) hi = T;
            a[i] = (int32_t)lo;
            b[i] = (int32_t)hi;
            if (b[i] > a[i]) work += b[i] - (a[i] > 0 ? a[i] : 0);
        }
        if (work > HERO__MALIGN_MAX_WORK) {
            HERO_FREE(owner); HERO_FREE(best); HERO_FREE(cnt); HERO_FREE(a); HERO_FREE(b);
            return hero__fail(err, HERO_ELIMIT, "%s: aligning %d subtitles to %d frames needs %.0f checks, limit %.0f", nm, S, T, work,
                              HERO__MALIGN_MAX_WORK);
        }
        /* each frame: the candidate subtitle with the highest IoU, first on ties; all 0 -> subtitle 0 */
        for (i = 0; i < S; i++) {
            float ts = (float)subs->subs[i].start / (float)frame_len, te = (float)subs->subs[i].end / (float)frame_len;
            int lo2 = a[i] > 0 ? a[i] : 0, hi2 = b[i] < T ? b[i] : T;
            for (f = lo2; f < hi2; f++) {
                double iou = hero__miou(f, ts, te);
                if (owner[f] < 0) owner[f] = 0;
                if (iou > best[f]) { best[f] = iou; owner[f] = i; }
            }
        }
    }
    /* rows: frames per subtitle (all of them in b, those below the cut in cnt), then the cut:
       rows until the first one reaching past Tc (kept if it has frames below it) */
    if (out->pseudo) {
        HERO_FREE(b);
        if (!(b = (int32_t *)HERO_MALLOC(((size_t)S + 1) * sizeof(int32_t)))) goto oom;
    }
    for (i = 0; i < S; i++) cnt[i] = 0, b[i] = 0;
    for (f = 0; f < T; f++)
        if (owner[f] >= 0) {
            b[owner[f]]++;
            if (f < Tc) cnt[owner[f]]++;
        }
    rows = 0;
    for (i = 0; i < S && !cut; i++) {
        if (cnt[i] < b[i]) cut = 1;
        if (cnt[i] > 0 || b[i] == 0) { rows = i + 1; total += cnt[i]; }
        else break;
    }
    out->n_rows = rows;
    out->nframes = (int32_t *)HERO_MALLOC(((size_t)rows + 1) * sizeof(int32_t));
    out->frames = (int32_t *)HERO_MALLOC(((size_t)total + 1) * sizeof(int32_t));
    if (!out->nframes || !out->frames) goto oom;
    {
        /* offsets per row, then frames in ascending order */
        int32_t *off = a; /* reuse: S + 1 >= rows + 1 entries when S > 0 */
        int32_t *tmp = NULL;
        if (out->pseudo) {
            tmp = (int32_t *)HERO_MALLOC(((size_t)rows + 1) * sizeof(int32_t));
            if (!tmp) goto oom;
            off = tmp;
        }
        off[0] = 0;
        for (i = 0; i < rows; i++) { out->nframes[i] = cnt[i]; off[i + 1] = off[i] + cnt[i]; }
        for (f = 0; f < Tc; f++) {
            int o = owner[f];
            if (o >= 0 && o < rows) out->frames[off[o]++] = f;
        }
        HERO_FREE(tmp);
    }
    HERO_FREE(owner); HERO_FREE(best); HERO_FREE(cnt); HERO_FREE(a); HERO_FREE(b);
    return 0;
oom:
    HERO_FREE(owner); HERO_FREE(best); HERO_FREE(cnt); HERO_FREE(a); HERO_FREE(b);
    hero_sub_frames_free(out);
    return hero__fail(err, HERO_ENOMEM, "%s: align: out of memory (%d subtitles, %d frames)", nm, S, T);
}

/* ======================================================================================
   Video features
   ====================================================================================== */

HERODEF void hero_feats_free(hero_feats *f) {
    if (!f) return;
    HERO_FREE(f->data);
    memset(f, 0, sizeof *f);
}

/* Opens a feature file and reads its [T, D] float array (D == want unless want <= 0). */
static int hero__mfeat_load(const char *path, int want, int prejoined, float **data, int *T, int *D, hero_error *err) {
    hero_tensorfile tf;
    const hero_tensor_info *t = NULL;
    int64_t n;
    int rc;
    *data = NULL;
    *T = *D = 0;
    if ((rc = hero_npz_open(&tf, path, err)) != 0) return rc;
    if (tf.format == HERO_FMT_NPY) t = tf.n_tensors == 1 ? &tf.tensors[0] : NULL;
    else {
        t = hero_tensorfile_find(&tf, "features");
        if (!t && prejoined && tf.n_tensors == 1) t = &tf.tensors[0];
    }
    if (!t) {
        rc = hero__fail(err, HERO_EMISSING, "%s: no array \"features\" (expected an .npz member features.npy of shape [T, %d]; found %d arrays%s%s)",
                        path, want, tf.n_tensors, tf.n_tensors ? ", the first named " : "", tf.n_tensors ? tf.tensors[0].name : "");
        goto done;
    }
    if (t->dtype != HERO_F32 && t->dtype != HERO_F16 && t->dtype != HERO_F64 && t->dtype != HERO_BF16) {
        rc = hero__fail(err, HERO_ESHAPE, "%s: \"features\" has dtype %s, expected f16 or f32", path, hero_dtype_name(t->dtype));
        goto done;
    }
    if (t->ndim != 2 || t->shape[0] < 1 || t->shape[1] < 1 || t->shape[0] > 0x3fffffff || t->shape[1] > 0x3fffffff ||
        (want > 0 && t->shape[1] != want)) {
        char shp[96];
        int k, o = 0;
        shp[0] = 0;
        for (k = 0; k < t->ndim && k < 4; k++)
            o += snprintf(shp + o, sizeof shp - (size_t)o, "%s%lld", k ? ", " : "", (long long)t->shape[k]);
        if (want > 0)
            rc = hero__fail(err, HERO_ESHAPE, "%s: \"features\" has shape [%s], expected [T >= 1, %d]", path, shp, want);
        else
            rc = hero__fail(err, HERO_ESHAPE, "%s: \"features\" has shape [%s], expected [T >= 1, F >= 1]", path, shp);
        goto done;
    }
    n = hero_tensor_numel(t);
    if (n <= 0 || (uint64_t)n > (uint64_t)(SIZE_MAX / sizeof(float))) {
        rc = hero__fail(err, HERO_ELIMIT, "%s: \"features\" is too large", path);
        goto done;
    }
    *data = (float *)HERO_MALLOC((size_t)n * sizeof(float));
    if (!*data) { rc = hero__fail(err, HERO_ENOMEM, "%s: cannot allocate %lld floats", path, (long long)n); goto done; }
    if ((rc = hero_tensor_read_f32(t, *data, n, err)) != 0) { HERO_FREE(*data); *data = NULL; goto done; }
    *T = (int)t->shape[0];
    *D = (int)t->shape[1];
done:
    hero_tensorfile_close(&tf);
    return rc;
}

/* First non-finite value among the first T rows, or -1. */
static int64_t hero__mfeat_nonfinite(const float *x, int T, int D) {
    int64_t i, n = (int64_t)T * D;
    for (i = 0; i < n; i++)
        if (!(x[i] - x[i] == 0.0f)) return i;
    return -1;
}

static int hero__mfeat_bad(const char *path, const float *x, int64_t at, int D, hero_error *err) {
    return hero__fail(err, HERO_ENUMERIC, "%s: features[%lld][%lld] is %s, expected finite values", path, (long long)(at / D),
                      (long long)(at % D), x[at] != x[at] ? "NaN" : "Inf");
}

HERODEF int hero_feats_read_pair(hero_feats *out, const char *resnet_path, const char *slowfast_path,
                                 int dim_resnet, int dim_slowfast, int max_frames, hero_error *err) {
    float *r = NULL, *s = NULL;
    int Tr, Ts, Dr, Ds, T, t, rc;
    int64_t bad;
    if (!out) return hero__fail(err, HERO_EINVAL, "feats_read_pair: NULL output");
    memset(out, 0, sizeof *out);
    if (!resnet_path || !slowfast_path || dim_resnet < 1 || dim_slowfast < 1 || dim_resnet > 0x3fffffff - dim_slowfast)
        return hero__fail(err, HERO_EINVAL, "feats_read_pair: need two paths and widths >= 1 (got %d, %d)", dim_resnet, dim_slowfast);
    if ((rc = hero__mfeat_load(resnet_path, dim_resnet, 0, &r, &Tr, &Dr, err)) != 0) return rc;
    if ((rc = hero__mfeat_load(slowfast_path, dim_slowfast, 0, &s, &Ts, &Ds, err)) != 0) { HERO_FREE(r); return rc; }
    out->T_full = Tr < Ts ? Tr : Ts;
    T = max_frames > 0 && out->T_full > max_frames ? max_frames : out->T_full;
    if ((bad = hero__mfeat_nonfinite(r, T, Dr)) >= 0) rc = hero__mfeat_bad(resnet_path, r, bad, Dr, err);
    else if ((bad = hero__mfeat_nonfinite(s, T, Ds)) >= 0) rc = hero__mfeat_bad(slowfast_path, s, bad, Ds, err);
    else if ((uint64_t)T * (uint64_t)(Dr + Ds) > (uint64_t)(SIZE_MAX / sizeof(float)) ||
             !(out->data = (float *)HERO_MALLOC((size_t)T * (size_t)(Dr + Ds) * sizeof(float))))
        rc = hero__fail(err, HERO_ENOMEM, "%s: cannot allocate %d x %d floats", resnet_path, T, Dr + Ds);
    if (rc) { HERO_FREE(r); HERO_FREE(s); memset(out, 0, sizeof *out); return rc; }
    for (t = 0; t < T; t++) {
        memcpy(out->data + (size_t)t * (size_t)(Dr + Ds), r + (size_t)t * (size_t)Dr, (size_t)Dr * sizeof(float));
        memcpy(out->data + (size_t)t * (size_t)(Dr + Ds) + Dr, s + (size_t)t * (size_t)Ds, (size_t)Ds * sizeof(float));
    }
    out->T = T;
    out->F = Dr + Ds;
    HERO_FREE(r);
    HERO_FREE(s);
    return 0;
}

HERODEF int hero_feats_read(hero_feats *out, const char *path, int F, int max_frames, hero_error *err) {
    float *x = NULL;
    int T, D, rc;
    int64_t bad;
    if (!out) return hero__fail(err, HERO_EINVAL, "feats_read: NULL output");
    memset(out, 0, sizeof *out);
    if ((rc = hero__mfeat_load(path, F, 1, &x, &T, &D, err)) != 0) return rc;
    out->T_full = T;
    if (max_frames > 0 && T > max_frames) T = max_frames;
    if ((bad = hero__mfeat_nonfinite(x, T, D)) >= 0) {
        rc = hero__mfeat_bad(path, x, bad, D, err);
        HERO_FREE(x);
        memset(out, 0, sizeof *out);
        return rc;
    }
    out->T = T;
    out->F = D;
    out->data = x; /* rows past T stay allocated but unused */
    return 0;
}

/* ======================================================================================
   One video: features + aligned, tokenized subtitles
   ====================================================================================== */

HERODEF hero_media_options hero_media_options_default(void) {
    hero_media_options o;
    o.frame_len = 1.5;
    o.max_frames = 100;
    o.max_sub_tokens = 60;
    return o;
}

HERODEF void hero_video_data_free(hero_video_data *v) {
    if (!v) return;
    HERO_FREE(v->feats);
    HERO_FREE(v->sub_len);
    HERO_FREE(v->sub_tokens);
    HERO_FREE(v->sub_nframes);
    HERO_FREE(v->sub_frames);
    memset(v, 0, sizeof *v);
}

HERODEF int hero_video_prepare(hero_video_data *out, const hero_feats *feats, const hero_subtitles *subs,
                               const hero_tokenizer *tok, const hero_media_options *o, hero_error *err) {
    hero_sub_frames al;
    hero__mbuf toks;
    int i, rc, nfr = 0;
    size_t nbytes;
    const char *nm = subs && subs->name ? subs->name : "video";
    if (!out) return hero__fail(err, HERO_EINVAL, "video_prepare: NULL output");
    memset(out, 0, sizeof *out);
    if (!feats || !feats->data || !o || feats->T < 1 || feats->F < 1 || feats->T_full < feats->T ||
        feats->T != (o->max_frames > 0 && feats->T_full > o->max_frames ? o->max_frames : feats->T_full))
        return hero__fail(err, HERO_EINVAL, "%s: video_prepare: features T %d of %d (max_frames %d) do not fit", nm, feats ? feats->T : 0,
                          feats ? feats->T_full : 0, o ? o->max_frames : 0);
    if (subs && subs->n > 0 && !tok) return hero__fail(err, HERO_EINVAL, "%s: video_prepare: subtitles need a tokenizer", nm);
    if ((rc = hero_subs_align(subs, feats->T_full, o->frame_len, o->max_frames, &al, err)) != 0) return rc;
    memset(&toks, 0, sizeof toks);
    out->pseudo = al.pseudo;
    nbytes = (size_t)feats->T * (size_t)feats->F * sizeof(float);
    out->feats = (float *)HERO_MALLOC(nbytes);
    out->sub_len = (int32_t *)HERO_MALLOC(((size_t)al.n_rows + 1) * sizeof(int32_t));
    out->sub_nframes = (int32_t *)HERO_MALLOC(((size_t)al.n_rows + 1) * sizeof(int32_t));
    for (i = 0; i < al.n_rows; i++) nfr += al.nframes[i];
    out->sub_frames = (int32_t *)HERO_MALLOC(((size_t)nfr + 1) * sizeof(int32_t));
    if (!out->feats || !out->sub_len || !out->sub_nframes || !out->sub_frames) { rc = HERO_ENOMEM; goto oom; }
    memcpy(out->feats, feats->data, nbytes);
    memcpy(out->sub_nframes, al.nframes, (size_t)al.n_rows * sizeof(int32_t));
    memcpy(out->sub_frames, al.frames, (size_t)nfr * sizeof(int32_t));
    for (i = 0; i < al.n_rows; i++) {
        char *norm = NULL;
        size_t nl = 0;
        int32_t stackbuf[64], *ids = stackbuf;
        int n;
        out->sub_len[i] = 0;
        if (al.pseudo) continue;
        if ((rc = hero_text_normalize(subs->subs[i].text, strlen(subs->subs[i].text), 1, &norm, &nl, err)) != 0) goto fail;
        n = hero_tokenize(tok, norm, nl, HERO_TOKENIZE_ROBERTA, ids, 64, err);
        if (n > 64) {
            ids = (int32_t *)HERO_MALLOC((size_t)n * sizeof(int32_t));
            if (!ids) { HERO_FREE(norm); rc = HERO_ENOMEM; goto oom; }
            n = hero_tokenize(tok, norm, nl, HERO_TOKENIZE_ROBERTA, ids, n, err);
        }
        HERO_FREE(norm);
        if (n < 0) {
            if (ids != stackbuf) HERO_FREE(ids);
            rc = n;
            goto fail;
        }
        if (o->max_sub_tokens > 0 && n > o->max_sub_tokens) { n = o->max_sub_tokens; out->n_tokens_cut++; }
        hero__mbuf_put(&toks, (const char *)ids, (size_t)n * sizeof(int32_t));
        if (ids != stackbuf) HERO_FREE(ids);
        out->sub_len[i] = n;
        if (toks.oom) { rc = HERO_ENOMEM; goto oom; }
    }
    out->sub_tokens = (int32_t *)hero__mbuf_take(&toks, NULL); /* bytes of int32 ids (malloc'd: aligned) */
    if (!out->sub_tokens) { rc = HERO_ENOMEM; goto oom; }
    out->video.T = feats->T;
    out->video.F = feats->F;
    out->video.feats = out->feats;
    out->video.n_subs = al.n_rows;
    out->video.sub_len = out->sub_len;
    out->video.sub_tokens = out->sub_tokens;
    out->video.sub_nframes = out->sub_nframes;
    out->video.sub_frames = out->sub_frames;
    hero_sub_frames_free(&al);
    return 0;
oom:
    rc = hero__fail(err, HERO_ENOMEM, "%s: video_prepare: out of memory", nm);
fail:
    HERO_FREE(toks.s);
    hero_sub_frames_free(&al);
    hero_video_data_free(out);
    return rc;
}

/* ======================================================================================
   VCMR ranking (eval_vcmr.py validate_full_vcmr)
   ====================================================================================== */

HERODEF hero_vcmr_options hero_vcmr_options_default(void) {
    hero_vcmr_options o;
    o.q2c_alpha = 20.0f;
    o.max_vcmr_video = 100;
    o.min_pred_l = 2;
    o.max_pred_l = 16;
    return o;
}

/* softmax over n in place (torch order: max-subtracted exp, sum, divide) */
static void hero__msoftmax(float *x, int n) {
    int i;
    float mx = x[0], s = 0;
    for (i = 1; i < n; i++) if (x[i] > mx) mx = x[i];
    for (i = 0; i < n; i++) { x[i] = expf(x[i] - mx); s += x[i]; }
    for (i = 0; i < n; i++) x[i] /= s;
}

typedef struct hero__mcand { float score; int rank, st, ed; } hero__mcand;

static int hero__mcand_cmp(const void *pa, const void *pb) {
    const hero__mcand *a = (const hero__mcand *)pa, *b = (const hero__mcand *)pb;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    if (a->rank != b->rank) return a->rank < b->rank ? -1 : 1;
    if (a->st != b->st) return a->st < b->st ? -1 : 1;
    return a->ed < b->ed ? -1 : (a->ed > b->ed);
}

HERODEF int hero_vcmr_rank(const float *q2video, const float *st, const float *ed, int B, int L,
                           const hero_vcmr_options *o, int best_per_video, hero_moment *out, int max_out,
                           hero_error *err) {
    int *order = NULL, nv, i, j, m, n, rc = 0, count = 0;
    float *vs = NULL, *ps = NULL, *pe = NULL;
    hero__mcand *cand = NULL;
    size_t nc = 0, capc = 0;
    if (!q2video || !st || !ed || !o || B < 1 || L < 1 || B > 0x3fffffff / L || max_out < 0 || (max_out > 0 && !out) ||
        o->min_pred_l < 0 || o->max_pred_l <= o->min_pred_l)
        return hero__fail(err, HERO_EINVAL, "vcmr_rank: bad arguments (B %d, L %d, max_out %d, min_pred_l %d, max_pred_l %d)", B, L, max_out,
                          o ? o->min_pred_l : 0, o ? o->max_pred_l : 0);
    nv = o->max_vcmr_video > 0 && o->max_vcmr_video < B ? o->max_vcmr_video : B;
    order = (int *)HERO_MALLOC((size_t)B * sizeof(int));
    vs = (float *)HERO_MALLOC((size_t)B * sizeof(float));
    ps = (float *)HERO_MALLOC((size_t)L * sizeof(float));
    pe = (float *)HERO_MALLOC((size_t)L * sizeof(float));
    if (!order || !vs || !ps || !pe) { rc = hero__fail(err, HERO_ENOMEM, "vcmr_rank: out of memory"); goto done; }
    for (i = 0; i < B; i++) { vs[i] = expf(o->q2c_alpha * q2video[i]); order[i] = i; }
    /* top videos by exp(alpha * score), ties: lower index (insertion sort on the first nv) */
    for (i = 0; i < nv; i++) {
        int bi = i;
        for (j = i + 1; j < B; j++)
            if (vs[order[j]] > vs[order[bi]] || (vs[order[j]] == vs[order[bi]] && order[j] < order[bi])) bi = j;
        if (bi != i) { int t = order[i]; order[i] = order[bi]; order[bi] = t; }
    }
    for (i = 0; i < nv; i++) {
        int v = order[i];
        hero__mcand bestc;
        bestc.score = 0;
        bestc.rank = i;
        bestc.st = bestc.ed = -1;
        memcpy(ps, st + (size_t)v * (size_t)L, (size_t)L * sizeof(float));
        memcpy(pe, ed + (size_t)v * (size_t)L, (size_t)L * sizeof(float));
        hero__msoftmax(ps, L);
        hero__msoftmax(pe, L);
        for (m = 0; m < L; m++) {
            float a = ps[m] * vs[v];
            int n1 = m + o->max_pred_l - 1 < L - 1 ? m + o->max_pred_l - 1 : L - 1;
            for (n = m + o->min_pred_l; n <= n1; n++) {
                float s = a * pe[n];
                if (!(s > 0)) continue;
                if (best_per_video) {
                    if (s > bestc.score) { bestc.score = s; bestc.st = m; bestc.ed = n; }
                    continue;
                }
                if (nc == capc) {
                    size_t c2 = capc ? 2 * capc : 1024;
                    hero__mcand *p = (hero__mcand *)HERO_REALLOC(cand, c2 * sizeof(hero__mcand));
                    if (!p) { rc = hero__fail(err, HERO_ENOMEM, "vcmr_rank: out of memory (%zu moments)", nc); goto done; }
                    cand = p;
                    capc = c2;
                }
                cand[nc].score = s; cand[nc].rank = i; cand[nc].st = m; cand[nc].ed = n;
                nc++;
            }
        }
        if (best_per_video && bestc.st >= 0) {
            if (nc == capc) {
                size_t c2 = capc ? 2 * capc : 64;
                hero__mcand *p = (hero__mcand *)HERO_REALLOC(cand, c2 * sizeof(hero__mcand));
                if (!p) { rc = hero__fail(err, HERO_ENOMEM, "vcmr_rank: out of memory"); goto done; }
                cand = p;
                capc = c2;
            }
            cand[nc++] = bestc;
        }
    }
    if (nc) qsort(cand, nc, sizeof(hero__mcand), hero__mcand_cmp);
    for (i = 0; (size_t)i < nc && count < max_out; i++) {
        hero_moment *mo = &out[count++];
        mo->video = order[cand[i].rank];
        mo->st = cand[i].st;
        mo->ed = cand[i].ed;
        mo->score = cand[i].score;
        mo->video_score = q2video[mo->video];
    }
    rc = count;
done:
    HERO_FREE(order);
    HERO_FREE(vs);
    HERO_FREE(ps);
    HERO_FREE(pe);
    HERO_FREE(cand);
    return rc;
}
