/*
 * Deflates a file the way Lamina's ParallelGzipOutputStream does, with one of three engines, on
 * one thread, and reports the CPU time of the deflate calls alone:
 *
 *   zlib        the system zlib (what the JDK's java.util.zip.Deflater calls on Debian)
 *   zng         zlib-ng's native API (zng_*), same stream layout as zlib
 *   libdeflate  libdeflate; it has no preset dictionary and always ends with a final block, so
 *               each block becomes a gzip member of its own (see README.md for what that means
 *               for the kernel)
 *
 * Layout (zlib, zng): one gzip member; 128 KiB input blocks, each deflated on its own with the
 * previous block's last 32 KiB as preset dictionary and ended by a sync flush (the last one by
 * Z_FINISH); a block whose order-0 entropy is at least 7.99 bits per byte is written as stored
 * deflate blocks instead. The decision uses double log() here, so on rare edge blocks it may
 * differ from Lamina's StrictMath one; compare bytes with `cmp` to see whether it did.
 *
 * Built once per engine (zlib-ng's header clashes with zlib.h); see run.sh.
 *
 *   blockbench ENGINE LEVEL INPUT OUTPUT [REPEAT]
 *
 * prints: engine level blocks deflated_blocks stored_blocks in_bytes out_bytes cpu_s MB/s
 * (cpu_s is the best of REPEAT passes, default 3, of the deflate calls only; MB/s is of the
 * deflated blocks' input).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef WITH_ZNG
/* zlib-ng's native header clashes with zlib.h: a zng build has no zlib engine. */
#include <zlib-ng.h>
#define crc32 zng_crc32
#else
#include <zlib.h>
#endif
#ifdef WITH_LIBDEFLATE
#include <libdeflate.h>
#endif

#define BLOCK (128 * 1024)
#define DICT (32 * 1024)

static double cpu_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static int incompressible(const unsigned char *d, size_t n) {
  if (n < 4096) return 0;
  size_t counts[256] = {0};
  for (size_t i = 0; i < n; i++) counts[d[i]]++;
  double bits = 0;
  for (int i = 0; i < 256; i++)
    if (counts[i]) bits -= counts[i] * log((double)counts[i] / n);
  return bits / log(2) >= 7.99 * n;
}

static size_t stored(const unsigned char *d, size_t n, int last, unsigned char *out) {
  size_t blocks = n == 0 ? 1 : (n + 65534) / 65535, o = 0, off = 0;
  for (size_t b = 0; b < blocks; b++) {
    size_t k = n - off < 65535 ? n - off : 65535;
    out[o++] = (last && b == blocks - 1) ? 1 : 0;
    out[o++] = k & 0xff;
    out[o++] = k >> 8;
    out[o++] = ~k & 0xff;
    out[o++] = (~k >> 8) & 0xff;
    memcpy(out + o, d + off, k);
    o += k;
    off += k;
  }
  return o;
}

static void put32(unsigned char *p, uint32_t v) {
  p[0] = v;
  p[1] = v >> 8;
  p[2] = v >> 16;
  p[3] = v >> 24;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s zlib|zng|libdeflate LEVEL INPUT OUTPUT [REPEAT]\n", argv[0]);
    return 2;
  }
  const char *engine = argv[1];
  int level = atoi(argv[2]);
  int repeat = argc > 5 ? atoi(argv[5]) : 3;
  FILE *f = fopen(argv[3], "rb");
  if (!f) { perror(argv[3]); return 1; }
  fseek(f, 0, SEEK_END);
  size_t size = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *in = malloc(size + 1);
  if (fread(in, 1, size, f) != size) { perror("read"); return 1; }
  fclose(f);
  size_t nblocks = size == 0 ? 1 : (size + BLOCK - 1) / BLOCK;
  char *isStored = calloc(nblocks, 1);
  size_t cap = BLOCK + BLOCK / 8 + 1024;
  unsigned char *out = malloc(nblocks * cap + 64);
  size_t deflated = 0, deflatedIn = 0;
  for (size_t b = 0; b < nblocks; b++) {
    size_t n = size - b * BLOCK < BLOCK ? size - b * BLOCK : BLOCK;
    isStored[b] = incompressible(in + b * BLOCK, n);
    if (!isStored[b]) { deflated++; deflatedIn += n; }
  }

  const char *list = getenv("STORED_LIST");
  if (list) {
    FILE *l = fopen(list, "w");
    for (size_t b = 0; b < nblocks; b++) fputc(isStored[b] ? '1' : '0', l);
    fputc('\n', l);
    fclose(l);
  }
  double best = 1e30;
  size_t o = 0;
  for (int r = 0; r < repeat; r++) {
    double cpu = 0;
    o = 0;
    int member = strcmp(engine, "libdeflate") == 0;
    static const unsigned char header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    if (!member) { memcpy(out, header, 10); o = 10; }
  #ifndef WITH_ZNG
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (strcmp(engine, "zlib") == 0 &&
        deflateInit2(&zs, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) return 1;
#endif
#ifdef WITH_ZNG
    zng_stream ns;
    memset(&ns, 0, sizeof ns);
    if (strcmp(engine, "zng") == 0 &&
        zng_deflateInit2(&ns, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) return 1;
#endif
#ifdef WITH_LIBDEFLATE
    struct libdeflate_compressor *ld = member ? libdeflate_alloc_compressor(level) : NULL;
#endif
    for (size_t b = 0; b < nblocks; b++) {
      const unsigned char *d = in + b * BLOCK;
      size_t n = size - b * BLOCK < BLOCK ? size - b * BLOCK : BLOCK;
      int last = b == nblocks - 1;
      if (member && isStored[b]) {
        memcpy(out + o, header, 10);
        o += 10;
        o += stored(d, n, 1, out + o);
        put32(out + o, crc32(0, d, n));
        put32(out + o + 4, (uint32_t)n);
        o += 8;
        continue;
      }
      if (member) {
#ifdef WITH_LIBDEFLATE
        double t0 = cpu_now();
        size_t k = libdeflate_gzip_compress(ld, d, n, out + o, cap);
        cpu += cpu_now() - t0;
        if (k == 0) { fprintf(stderr, "libdeflate: no room\n"); return 1; }
        o += k;
        continue;
#else
        fprintf(stderr, "built without libdeflate\n");
        return 1;
#endif
      }
      if (isStored[b]) {
        o += stored(d, n, last, out + o);
        continue;
      }
      double t0 = cpu_now();
      if (0) {
      }
#ifndef WITH_ZNG
      else if (strcmp(engine, "zlib") == 0) {
        deflateReset(&zs);
        if (b > 0) deflateSetDictionary(&zs, d - DICT, DICT);
        zs.next_in = (unsigned char *)d;
        zs.avail_in = n;
        zs.next_out = out + o;
        zs.avail_out = cap;
        int rc = deflate(&zs, last ? Z_FINISH : Z_SYNC_FLUSH);
        if (rc != (last ? Z_STREAM_END : Z_OK) || zs.avail_in != 0) { fprintf(stderr, "zlib rc %d\n", rc); return 1; }
        o += cap - zs.avail_out;
      }
#endif
#ifdef WITH_ZNG
      else if (strcmp(engine, "zng") == 0) {
        zng_deflateReset(&ns);
        if (b > 0) zng_deflateSetDictionary(&ns, d - DICT, DICT);
        ns.next_in = d;
        ns.avail_in = n;
        ns.next_out = out + o;
        ns.avail_out = cap;
        int rc = zng_deflate(&ns, last ? Z_FINISH : Z_SYNC_FLUSH);
        if (rc != (last ? Z_STREAM_END : Z_OK) || ns.avail_in != 0) { fprintf(stderr, "zng rc %d\n", rc); return 1; }
        o += cap - ns.avail_out;
      }
#endif
      else { fprintf(stderr, "unknown or unbuilt engine %s\n", engine); return 1; }
      cpu += cpu_now() - t0;
    }
    if (!member) {
      put32(out + o, crc32(0, in, size));
      put32(out + o + 4, (uint32_t)size);
      o += 8;
    }
#ifndef WITH_ZNG
    if (strcmp(engine, "zlib") == 0) deflateEnd(&zs);
#endif
#ifdef WITH_ZNG
    if (strcmp(engine, "zng") == 0) zng_deflateEnd(&ns);
#endif
#ifdef WITH_LIBDEFLATE
    if (ld) libdeflate_free_compressor(ld);
#endif
    if (cpu < best) best = cpu;
  }
  FILE *w = fopen(argv[4], "wb");
  if (!w || fwrite(out, 1, o, w) != o || fclose(w)) { perror(argv[4]); return 1; }
  size_t storedBlocks = nblocks - deflated;
  printf("%s %d %zu %zu %zu %zu %zu %.3f %.1f\n", engine, level, nblocks, deflated, storedBlocks,
         size, o, best, deflatedIn / 1e6 / best);
  return 0;
}
