/* ---- File formats: JSON, tensor files (safetensors, torch.save zip + legacy, .npy/.npz) ----

   All readers treat their input as hostile: every offset, length, count and shape product is
   checked against the bytes present, recursion is bounded, and a huge size claimed by a small
   file is an error, never an allocation. Errors fill hero_error with the file, the key/tensor
   and expected vs found. */
#ifdef __cplusplus
extern "C" {
#endif

/* ---------------- JSON (RFC 8259, DOM) ---------------- */
#define HERO_JSON_MAX_DEPTH 64 /* deepest array/object nesting accepted */

typedef enum hero_json_type {
    HERO_JSON_NULL, HERO_JSON_BOOL, HERO_JSON_NUMBER, HERO_JSON_STRING, HERO_JSON_ARRAY, HERO_JSON_OBJECT
} hero_json_type;

typedef struct hero_json {
    hero_json_type type;
    double number;            /* HERO_JSON_NUMBER */
    int boolean;              /* HERO_JSON_BOOL: 0 or 1 */
    char *string;             /* HERO_JSON_STRING: UTF-8, NUL-terminated, escapes decoded */
    size_t len;               /* HERO_JSON_STRING: bytes in string (may contain \u0000) */
    int n;                    /* HERO_JSON_ARRAY / OBJECT: number of items */
    struct hero_json *items;  /* [n] */
    char **keys;              /* OBJECT only: keys[i] names items[i] (duplicates kept, in order) */
} hero_json;

/* Parse len bytes of JSON text into *out (freed with hero_json_free). Errors give line/column. */
HERODEF int hero_json_parse(const char *text, size_t len, hero_json *out, hero_error *err);
/* Free everything owned by *j and reset it to a JSON null. */
HERODEF void hero_json_free(hero_json *j);
/* Member `key` of an object (the first one if duplicated); NULL if absent or obj is not an object. */
HERODEF const hero_json *hero_json_get(const hero_json *obj, const char *key);
/* Read and parse a whole JSON file; errors name the path, line and column. */
HERODEF int hero_json_read_file(const char *path, hero_json *out, hero_error *err);

/* ---------------- half-precision conversions ---------------- */
/* IEEE binary16 -> float (exact; subnormals, inf and NaN kept). */
HERODEF float hero_f16_to_f32(uint16_t h);
/* bfloat16 -> float (exact). */
HERODEF float hero_bf16_to_f32(uint16_t h);
/* float -> binary16, round to nearest even; overflow gives +-inf, NaN stays NaN. */
HERODEF uint16_t hero_f32_to_f16(float f);
/* float -> bfloat16, round to nearest even; NaN stays NaN. */
HERODEF uint16_t hero_f32_to_bf16(float f);
/* Convert n floats to binary16; returns how many finite inputs overflowed to +-inf. */
HERODEF int64_t hero_f32_to_f16_buf(const float *src, uint16_t *dst, int64_t n);
/* Convert n floats to bfloat16; returns how many finite inputs overflowed to +-inf. */
HERODEF int64_t hero_f32_to_bf16_buf(const float *src, uint16_t *dst, int64_t n);

/* ---------------- tensor files ---------------- */
#define HERO_MAX_DIMS 8

typedef struct hero_tensor_info {
    char *name;
    hero_dtype dtype;
    int ndim;
    int64_t shape[HERO_MAX_DIMS];
    int64_t stride[HERO_MAX_DIMS];     /* in elements */
    int64_t offset;                    /* elements into storage */
    const unsigned char *storage;      /* little-endian element bytes, NOT necessarily aligned */
    int64_t storage_nbytes;
    int storage_id;                    /* equal for tensors sharing one storage (tied weights) */
} hero_tensor_info;

typedef struct hero_entry_info {
    char *name;
    char *kind;   /* "int","float","str","bytes","bool","none","dict","list","tuple","storage","object" */
    char *value;  /* printable: "3", "0.5", "True", "None", the string itself, "{}" for an empty dict */
} hero_entry_info;

typedef enum hero_file_format {
    HERO_FMT_SAFETENSORS = 1, HERO_FMT_TORCH_ZIP, HERO_FMT_TORCH_LEGACY, HERO_FMT_NPY, HERO_FMT_NPZ
} hero_file_format;

/* An opened tensor file. The whole file is held in `buf`; tensors point into it (or into
   inflated members). Torch checkpoints are flattened: nested dicts / lists give names joined
   with "." ({"model": {"w": t}} -> "model.w"; list items by index), a bare tensor is named "-";
   non-tensor leaves (ints, bools, strings, None, empty containers) become `entries`. */
typedef struct hero_tensorfile {
    hero_file_format format;
    char *path;
    unsigned char *buf;
    size_t size;
    hero_tensor_info *tensors;
    int n_tensors;
    hero_entry_info *entries;
    int n_entries;
    hero_json meta;            /* safetensors __metadata__ object (type HERO_JSON_NULL if none) */
    unsigned char **blobs;     /* internal: decompressed zip members */
    int n_blobs;
} hero_tensorfile;

/* Open a tensor file, detecting the format from its content: zip (torch >= 1.6 if it has a
   data.pkl member, else .npz), legacy torch.save pickle, .npy, else safetensors. */
HERODEF int hero_tensorfile_open(hero_tensorfile *tf, const char *path, hero_error *err);
/* Same as hero_tensorfile_open on an in-memory copy of a file; `name` is used in messages. */
HERODEF int hero_tensorfile_open_memory(hero_tensorfile *tf, const void *data, size_t size,
                                        const char *name, hero_error *err);
/* Open a .npy or .npz file (format HERO_FMT_NPY: one tensor named "-"; HERO_FMT_NPZ: member
   names without ".npy"). C order only. */
HERODEF int hero_npz_open(hero_tensorfile *tf, const char *path, hero_error *err);
/* Free everything and zero *tf (safe on a zeroed or already closed struct). */
HERODEF void hero_tensorfile_close(hero_tensorfile *tf);
/* Tensor by exact name, or NULL. */
HERODEF const hero_tensor_info *hero_tensorfile_find(const hero_tensorfile *tf, const char *name);
/* Non-tensor entry by exact name, or NULL. */
HERODEF const hero_entry_info *hero_tensorfile_entry(const hero_tensorfile *tf, const char *name);
/* safetensors __metadata__ string value for key, or NULL. */
HERODEF const char *hero_tensorfile_meta(const hero_tensorfile *tf, const char *key);
/* Number of elements (1 for a 0-d tensor); -1 if the shape is invalid or overflows. */
HERODEF int64_t hero_tensor_numel(const hero_tensor_info *t);
/* Copy a tensor of any float/int/bool dtype into contiguous f32 (C order, honouring stride and
   offset); n must equal its numel. */
HERODEF int hero_tensor_read_f32(const hero_tensor_info *t, float *dst, int64_t n, hero_error *err);
/* Copy an int/bool tensor into contiguous int64; n must equal its numel. */
HERODEF int hero_tensor_read_i64(const hero_tensor_info *t, int64_t *dst, int64_t n, hero_error *err);

/* ---------------- safetensors writing ---------------- */
typedef struct hero_st_item {
    const char *name;
    hero_dtype dtype;
    int ndim;
    const int64_t *shape;   /* [ndim] */
    const void *data;       /* numel * hero_dtype_size(dtype) bytes, host byte order
                               (f16/bf16: uint16_t bits, see hero_f32_to_f16_buf) */
} hero_st_item;

/* Write a safetensors file atomically (path + ".tmp", fsync, rename over path).
   meta_kv: "key","value",...,NULL (may be NULL) -> __metadata__. */
HERODEF int hero_safetensors_write(const char *path, const hero_st_item *items, int n,
                                   const char *const *meta_kv, hero_error *err);

#ifdef __cplusplus
}
#endif
