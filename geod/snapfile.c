/* snapfile.c - the snapshot file's I/O: the binary's build id, mapping and checking a file,
 * writing one atomically on a thread of its own. */
#include "geod/snapfile.h"
#include "data/log.h"
#include "geod/lifecycle.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

/* ---- the build id (the GNU note the linker writes): any other binary, another layout ---- */

static int find_build_id(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    uint8_t *out = data; /* [41]: out[0] = length, then the id */
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
        const uint8_t *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *nh = (const void *)p;
            size_t name = (nh->n_namesz + 3) & ~3u, desc = (nh->n_descsz + 3) & ~3u;
            const uint8_t *d = p + sizeof *nh + name;
            if (d + desc > end)
                break;
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
                !memcmp(p + sizeof *nh, "GNU", 4) && nh->n_descsz > 0 && nh->n_descsz <= 40) {
                out[0] = (uint8_t)nh->n_descsz;
                memcpy(out + 1, d, nh->n_descsz);
                return 1;
            }
            p = d + desc;
        }
    }
    return 1; /* the first object is the program itself: stop there */
}

int geod_snapfile_key(struct store *s, struct snapshot_file_key *key)
{
    uint8_t id[41] = {0};
    memset(key, 0, sizeof *key);
    dl_iterate_phdr(find_build_id, id);
    if (!id[0]) {
        log_debug("this binary has no build id: no snapshot file");
        return 1;
    }
    memcpy(key->build_id, id + 1, id[0]);
    key->schema = store_schema_version(s);
    if (store_content_stamp(s, &key->stamp)) {
        log_debug("no content stamp in the store: no snapshot file");
        return 1;
    }
    return 0;
}

/* ---- loading ---- */

/* Where a file is mapped when the address is free (it is, but for a second file at once, in a
 * process laid out as Linux does on x86-64: programs near 0x55.., libraries and other mappings
 * below 0x7f.., ASan's shadow below 0x1000..): then the records' string pointers hold as
 * written and the file is only read, never copied. Elsewhere they are fixed up. */
#define SNAPFILE_BASE ((uintptr_t)0x200000000000ull)

struct mapping {
    void *p;
    size_t len;
};

static void unmap(void *ctx)
{
    struct mapping *m = ctx;
    munmap(m->p, m->len);
    free(m);
}

int geod_snapfile_load(const char *path, const struct snapshot_file_key *key,
                       struct snapshot_builder *b, char *why, size_t whylen)
{
    double t0 = geod_now();
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, whylen, "%s", strerror(errno));
        return 1;
    }
    struct stat st;
    struct mapping *m = calloc(1, sizeof *m);
    void *p = MAP_FAILED;
    if (m && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        p = mmap((void *)SNAPFILE_BASE, (size_t)st.st_size, PROT_READ,
                 MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, 0);
        if (p != MAP_FAILED && p != (void *)SNAPFILE_BASE) { /* a kernel that took it as a hint */
            munmap(p, (size_t)st.st_size);
            p = MAP_FAILED;
        }
        if (p == MAP_FAILED) /* copied where the records are fixed up */
            p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    }
    int err = errno;
    close(fd);
    if (p == MAP_FAILED) {
        snprintf(why, whylen, "%s", m && st.st_size == 0 ? "empty" : strerror(err));
        free(m);
        return 1;
    }
    m->p = p;
    m->len = (size_t)st.st_size;
#ifdef MADV_POPULATE_READ
    /* the page tables at once, read-only: MAP_POPULATE on a writable private mapping would
     * copy every page (only the records' are copied, when they are fixed up) */
    madvise(p, m->len, MADV_POPULATE_READ);
#endif
    enum snapshot_file_verdict v = snapshot_file_check(p, m->len, key, true);
    enum geod_err rc = v ? GEOD_ECORRUPT : snapshot_file_read(b, p, m->len, unmap, m);
    if (rc) {
        snprintf(why, whylen, "%s", v ? snapshot_file_verdict_text(v) : geod_strerror(rc));
        munmap(p, m->len);
        free(m);
        return 1;
    }
    log_debug("mapped the snapshot file %s, %.1f MB%s (%.3f s)", path, (double)m->len / 1e6,
              p == (void *)SNAPFILE_BASE ? "" : ", moved", geod_now() - t0);
    return 0;
}

/* ---- writing ---- */

static pthread_mutex_t writer_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t writer;
static bool writer_started, writer_running;

struct job {
    char path[PATH_MAX];
    struct snapshot_file_key key;
    struct snapshot *s;
};

static int write_all(int fd, const struct snapshot_file_chunk *c, size_t n)
{
    for (size_t i = 0; i < n;) {
        struct iovec iov[256];
        size_t k = 0;
        for (; k < 256 && i + k < n; k++)
            iov[k] = (struct iovec){(void *)c[i + k].p, c[i + k].len};
        ssize_t w = writev(fd, iov, (int)k);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        /* past the whole chunks written; a partial one is finished with write */
        size_t done = (size_t)w;
        for (; i < n && done >= c[i].len; i++)
            done -= c[i].len;
        if (i < n && done) {
            const char *q = (const char *)c[i].p + done;
            size_t left = c[i].len - done;
            while (left) {
                ssize_t r = write(fd, q, left);
                if (r < 0 && errno == EINTR)
                    continue;
                if (r <= 0)
                    return -1;
                q += r;
                left -= (size_t)r;
            }
            i++;
        }
    }
    return 0;
}

static int save(const struct job *j, size_t *bytes)
{
    struct snapshot_file_writer w;
    if (snapshot_file_write(j->s, &j->key, SNAPFILE_BASE, &w)) {
        errno = ENOMEM;
        return -1;
    }
    *bytes = w.bytes;
    char tmp[PATH_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", j->path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = fd < 0 || write_all(fd, w.c, w.n) || fsync(fd) ? -1 : 0;
    int err = errno;
    snapshot_file_writer_free(&w);
    if (fd >= 0 && close(fd) && !rc)
        rc = -1, err = errno;
    if (!rc && rename(tmp, j->path))
        rc = -1, err = errno;
    if (rc) {
        unlink(tmp);
        errno = err;
        return -1;
    }
    /* the rename itself made durable */
    char dir[PATH_MAX];
    const char *slash = strrchr(j->path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - j->path) + (slash == j->path) : 1,
             slash ? j->path : ".");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

static void *run(void *arg)
{
    struct job *j = arg;
    double t0 = geod_now();
    size_t bytes = 0;
    if (save(j, &bytes))
        log_warn("cannot write the snapshot file %s: %s", j->path, strerror(errno));
    else
        log_debug("wrote the snapshot file %s, %.1f MB (%.3f s)", j->path, (double)bytes / 1e6,
                  geod_now() - t0);
    snapshot_free(j->s);
    free(j);
    pthread_mutex_lock(&writer_lock);
    writer_running = false;
    pthread_mutex_unlock(&writer_lock);
    return NULL;
}

void geod_snapfile_save(const char *path, const struct snapshot_file_key *key,
                        const struct snapshot *s)
{
    struct job *j = calloc(1, sizeof *j);
    if (!j || snprintf(j->path, sizeof j->path, "%s", path) >= (int)sizeof j->path) {
        free(j);
        return;
    }
    j->key = *key;
    pthread_mutex_lock(&writer_lock);
    if (writer_running) {
        pthread_mutex_unlock(&writer_lock);
        log_debug("a snapshot file is being written: not writing another");
        free(j);
        return;
    }
    if (writer_started)
        pthread_join(writer, NULL); /* finished: writer_running is false */
    j->s = snapshot_ref(s);
    writer_started = writer_running = pthread_create(&writer, NULL, run, j) == 0;
    pthread_mutex_unlock(&writer_lock);
    if (!writer_started) {
        snapshot_free(j->s);
        free(j);
    }
}

void geod_snapfile_wait(void)
{
    pthread_mutex_lock(&writer_lock);
    bool join = writer_started;
    writer_started = false;
    pthread_mutex_unlock(&writer_lock);
    if (join) /* without the lock: the writer takes it as it ends */
        pthread_join(writer, NULL);
}
