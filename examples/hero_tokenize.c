/* hero_tokenize: RoBERTa / GPT-2 byte-level BPE tokenizer on the command line.

     hero_tokenize --vocab vocab.json --merges merges.txt [--special] [--hf] [--decode]

   Reads stdin line by line ('\n' ends a line; a '\r' before it is part of the text, as
   with JS text.split('\n')) and prints one output line per input line:
   - default: the ids, space-separated (an empty line prints an empty line); this is
     exactly gpt-3-encoder@1.1.4's encode() given the same vocab and merges;
   - --special: also recognise <s> </s> <pad> <unk> <mask> in the text (HF RoBERTa);
   - --hf: HF's merge lookup by token pair instead of gpt-3-encoder's "a,b" string key
     (--special --hf = HF RoBERTa's tokenizer, without the <s> ... </s> wrapping);
   - --decode: the reverse: each line holds space-separated ids, prints the UTF-8 text.
   Exit status 1 with a message on bad files or arguments. */
#define HERO_IMPLEMENTATION
#include "../hero.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(void) {
    fprintf(stderr, "usage: hero_tokenize --vocab vocab.json --merges merges.txt [--special] [--hf] [--decode] < lines\n");
}

/* Reads one line (without its '\n') into *buf; returns 0 at EOF, 1 for a line, -1 on error. */
static int read_line(char **buf, size_t *cap, size_t *len) {
    int c;
    *len = 0;
    c = getchar();
    if (c == EOF) return 0;
    while (c != EOF && c != '\n') {
        if (*len + 1 >= *cap) {
            size_t nc = *cap ? *cap * 2 : 4096;
            char *nb = (char *)realloc(*buf, nc);
            if (!nb) return -1;
            memset(nb + *cap, 0, nc - *cap); /* the whole buffer defined */
            *buf = nb;
            *cap = nc;
        }
        (*buf)[(*len)++] = (char)c;
        c = getchar();
    }
    return 1;
}

static int encode_line(const hero_tokenizer *tok, const char *line, size_t len, int flags, int32_t **ids, int *cap) {
    hero_error err;
    int n, i;
    for (;;) {
        n = hero_tokenize(tok, line, len, flags, *ids, *cap, &err);
        if (n < 0) {
            fprintf(stderr, "hero_tokenize: %s\n", err.msg);
            return 1;
        }
        if (n <= *cap) break;
        free(*ids);
        *ids = (int32_t *)malloc((size_t)n * sizeof(int32_t));
        if (!*ids) {
            fprintf(stderr, "hero_tokenize: out of memory\n");
            return 1;
        }
        *cap = n;
    }
    for (i = 0; i < n; i++) printf(i ? " %ld" : "%ld", (long)(*ids)[i]);
    putchar('\n');
    return 0;
}

static int decode_line(const hero_tokenizer *tok, char *line, int32_t **ids, int *cap) {
    hero_error err;
    int n = 0, len;
    char *p = line, *end, *text;
    for (;;) {
        long v;
        while (*p == ' ' || *p == '\t' || *p == '\r') p++;
        if (!*p) break;
        v = strtol(p, &end, 10);
        if (end == p || v < INT32_MIN || v > INT32_MAX) {
            fprintf(stderr, "hero_tokenize --decode: expected an integer id, found \"%.20s\"\n", p);
            return 1;
        }
        p = end;
        if (n == *cap) {
            int nc = *cap ? *cap * 2 : 256;
            int32_t *nb = (int32_t *)realloc(*ids, (size_t)nc * sizeof(int32_t));
            if (!nb) {
                fprintf(stderr, "hero_tokenize: out of memory\n");
                return 1;
            }
            *ids = nb;
            *cap = nc;
        }
        (*ids)[n++] = (int32_t)v;
    }
    len = hero_detokenize(tok, *ids, n, NULL, 0, &err);
    if (len < 0) {
        fprintf(stderr, "hero_tokenize --decode: %s\n", err.msg);
        return 1;
    }
    text = (char *)malloc((size_t)len + 1);
    if (!text) {
        fprintf(stderr, "hero_tokenize: out of memory\n");
        return 1;
    }
    hero_detokenize(tok, *ids, n, text, (size_t)len + 1, &err);
    fwrite(text, 1, (size_t)len, stdout);
    putchar('\n');
    free(text);
    return 0;
}

int main(int argc, char **argv) {
    const char *vocab = NULL, *merges = NULL;
    int flags = 0, decode = 0, i, rc = 0, r, cap = 0;
    hero_tokenizer *tok = NULL;
    hero_error err;
    char *line = NULL;
    size_t lcap = 0, len = 0;
    int32_t *ids = NULL;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--vocab") == 0 && i + 1 < argc) vocab = argv[++i];
        else if (strcmp(argv[i], "--merges") == 0 && i + 1 < argc) merges = argv[++i];
        else if (strcmp(argv[i], "--special") == 0) flags |= HERO_TOKENIZE_SPECIAL;
        else if (strcmp(argv[i], "--hf") == 0) flags |= HERO_TOKENIZE_HF;
        else if (strcmp(argv[i], "--decode") == 0) decode = 1;
        else {
            fprintf(stderr, "hero_tokenize: unknown or incomplete argument \"%s\"\n", argv[i]);
            usage();
            return 1;
        }
    }
    if (!vocab || !merges) {
        usage();
        return 1;
    }
    if (hero_tokenizer_load(&tok, vocab, merges, &err) != 0) {
        fprintf(stderr, "hero_tokenize: %s (%s)\n", err.msg, hero_strerror(err.code));
        return 1;
    }
    while ((r = read_line(&line, &lcap, &len)) > 0) {
        if (decode) {
            if (!line) { putchar('\n'); continue; }
            line[len] = 0;
            rc = decode_line(tok, line, &ids, &cap);
        } else {
            rc = encode_line(tok, line ? line : "", len, flags, &ids, &cap);
        }
        if (rc) break;
    }
    if (r < 0) {
        fprintf(stderr, "hero_tokenize: out of memory reading a line\n");
        rc = 1;
    }
    if (fflush(stdout) != 0) rc = 1;
    free(line);
    free(ids);
    hero_tokenizer_free(tok);
    return rc;
}
