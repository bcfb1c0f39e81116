/* snapshot_file.h - a full snapshot's facility records and indexes as bytes, so that the next
 * start uses them in place instead of rebuilding them; no I/O (geod/snapfile.c writes and maps
 * the file). Divisions, names and enterprises are not in it: they are small and read from the
 * store as always.
 *
 * The bytes, native-endian: a header (struct snapshot_file_header below), then sections one
 * after another, each starting at a multiple of 64 bytes (zero padding): the facility meta
 * (counts, categories), the records (struct facility with every string pointer replaced by its
 * address, were the file mapped at header.base, NULL as NULL), the string arena, the R-tree's (rtree_file.c) and the cluster
 * index's (cluster_file.c). Each section's length follows from the ones before it, so there is
 * no table to trust. The header holds the caller's key (the build and the store's state), the
 * layout (struct sizes, byte order), the total length and a checksum of everything after it. */
#ifndef GEOD_SNAPSHOT_FILE_H
#define GEOD_SNAPSHOT_FILE_H

#include "index/snapshot.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SNAPSHOT_FILE_FORMAT 2 /* bump with any change of the bytes */
#define SNAPSHOT_FILE_ALIGN 64

/* What the bytes must have been made for: the caller's choice, compared byte for byte. */
struct snapshot_file_key {
    uint8_t build_id[40]; /* the binary's build id, zero-padded */
    int64_t stamp;        /* the store's content stamp when the records were read */
    int64_t schema;       /* the store's schema version */
};

struct snapshot_file_header {
    char magic[8];   /* "GEODSNAP" */
    uint32_t format; /* SNAPSHOT_FILE_FORMAT */
    uint32_t order;  /* 0x01020304 as written */
    uint32_t layout[8];
    struct snapshot_file_key key;
    uint64_t generation;
    uint64_t base;       /* the address the records' string pointers assume the file is at */
    uint64_t bytes;      /* the whole file */
    uint64_t sum;        /* snapshot_file_sum of bytes [sizeof header, bytes) */
    uint64_t header_sum; /* of this header with header_sum 0 */
};

/* One piece of the file: len bytes at p. */
struct snapshot_file_chunk {
    const void *p;
    size_t len;
};

/* The bytes of a full snapshot as chunks to write in order (they borrow from s, which must
 * outlive them, and from w). */
struct snapshot_file_writer {
    struct snapshot_file_chunk *c;
    size_t n, cap;
    size_t bytes;                       /* so far */
    struct snapshot_file_header header; /* chunk 0 */
    void *own[8];                       /* small sections made for the file */
    size_t nown;
    bool oom;
};

/* Reading: sections taken in the writer's order out of buf[0..len). */
struct snapshot_file_reader {
    uint8_t *buf;
    size_t len, off;
    bool bad;
};

/* The chunks of s (a full snapshot) under key, for a file that will be mapped at base (any
 * value: a file mapped elsewhere is fixed up). GEOD_EINVAL for a derived snapshot. */
enum geod_err snapshot_file_write(const struct snapshot *s, const struct snapshot_file_key *key,
                                  uintptr_t base, struct snapshot_file_writer *w);
void snapshot_file_writer_free(struct snapshot_file_writer *w);

/* Appends len bytes at p (aligned to SNAPSHOT_FILE_ALIGN first) to w. */
void snapshot_file_put(struct snapshot_file_writer *w, const void *p, size_t len);
/* A copy of len bytes at p held by w until it is freed, appended like snapshot_file_put. */
void snapshot_file_put_copy(struct snapshot_file_writer *w, const void *p, size_t len);

/* The next section of len bytes, or NULL (and r->bad) when the bytes end first. */
void *snapshot_file_take(struct snapshot_file_reader *r, size_t len);
/* len * size without overflow, else SIZE_MAX (which no section can take). */
size_t snapshot_file_mul(size_t len, size_t size);

/* The checksum of n bytes (n a multiple of 8 or not). */
uint64_t snapshot_file_sum(const void *p, size_t n);

/* Why snapshot_file_check refused. */
enum snapshot_file_verdict {
    SNAPSHOT_FILE_OK = 0,
    SNAPSHOT_FILE_SHORT,  /* shorter than its header says, or than a header */
    SNAPSHOT_FILE_FOREIGN, /* not a snapshot file, or another format or layout */
    SNAPSHOT_FILE_STALE,   /* made by another build or from another state of the store */
    SNAPSHOT_FILE_DAMAGED, /* the checksum or a section does not hold */
};
const char *snapshot_file_verdict_text(enum snapshot_file_verdict v);

/* Is buf[0..len) a snapshot file for key? verify_sum false skips the content checksum (the fuzz
 * target, which cannot forge it, uses it to reach the sections). */
enum snapshot_file_verdict snapshot_file_check(const void *buf, size_t len,
                                               const struct snapshot_file_key *key,
                                               bool verify_sum);

/* A builder's facilities, categories and indexes from buf[0..len), which must have passed
 * snapshot_file_check, used in place: buf is memory the caller keeps until
 * release(release_ctx) is called, when the snapshot built goes. When buf is not at the header's
 * base the records' pointers are fixed up, and buf must be writable; at base it is only read.
 * Every section is checked (ids ascending and known, categories, string pointers, tree and
 * cluster shapes); GEOD_ECORRUPT when one does not hold (release is then not called),
 * GEOD_ENOMEM. The builder must be new (no category, no facility). */
enum geod_err snapshot_file_read(struct snapshot_builder *b, void *buf, size_t len,
                                 void (*release)(void *ctx), void *release_ctx);

#endif
