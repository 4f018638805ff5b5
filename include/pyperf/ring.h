/* ring: the shared-memory format between the agent (producers, inside the
 * Python process) and collect (the single consumer, in the launcher).
 *
 * One ring per Python process image, in a file "<id>.ring" of the state
 * directory, mapped MAP_SHARED by both sides.  The file starts with a
 * 4 KiB header; the data area after it is a power of two in bytes.
 *
 * Producers are signal handlers on any thread of the target: they reserve
 * space with a CAS on `head` (lock-free, no syscalls), fill the record and
 * publish it by storing its first word (length | PP_RING_COMMITTED) with
 * release order.  A record never straddles the end of the data area: the
 * producer that would cross it first reserves the rest as a padding record.
 * The consumer reads committed records in order from `tail`, zeroes what it
 * consumed (so that an unpublished word always reads 0), and only then
 * advances `tail` with release order.  A record reserved but not yet
 * published stops the consumer until the next poll.
 *
 * Positions are byte counts that only grow (64 bits: no wrap in practice);
 * pos & (data_size - 1) is the offset in the data area. */
#ifndef PYPERF_RING_H
#define PYPERF_RING_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PP_RING_MAGIC "PPRING01"
/* 2: samples carry the maps generation, RSP/RBP and native stack data;
 * 3: and the number of periods they stand for */
#define PP_RING_VERSION 3
#define PP_RING_HDR_SIZE 4096u

/* Record word 0: low 24 bits length in bytes (multiple of 8, header
 * included), high bits flags.  0 means "not published yet". */
#define PP_RING_LEN_MASK  0x00ffffffu
#define PP_RING_COMMITTED 0x80000000u
#define PP_RING_PAD       0x40000000u

/* Sample flags */
#define PP_SAMPLE_TRUNCATED 0x1u  /* more frames than the depth limit */
#define PP_SAMPLE_NO_TSTATE 0x2u  /* thread without a Python thread state */

#define PP_RING_MAX_DEPTH 1024
/* A sample's weight in periods at most (struct pp_ring_sample.periods). */
#define PP_RING_MAX_PERIODS 1000000u
/* Frame-pointer pairs and stack words kept per sample at most (--native). */
#define PP_RING_MAX_NATIVE 64
#define PP_RING_MAX_STACK 2048

/* Counters in the header, indexed by these values. */
enum pp_ring_counter {
	PP_RC_SAMPLES,          /* signals handled as ours */
	PP_RC_LOST_FULL,        /* ring had no room */
	PP_RC_LOST_UNREADABLE,  /* frame chain could not be read */
	PP_RC_NATIVE,           /* recorded with zero frames (no tstate/frame) */
	PP_RC_TRUNCATED,        /* recorded with the truncated flag */
	PP_RC_CODES_OVERFLOW,   /* code set full: frame left unresolvable */
	PP_RC_IGNORED,          /* samples on the agent's own thread */
	PP_RC_INACTIVE,         /* signals while the agent was not sampling */
	PP_RC_HANDLER_CYCLES,   /* rdtsc cycles spent in the handler, summed */
	PP_RC_FRAMES,           /* frames recorded, summed */
	PP_RC_AGENT_CPU_NS,     /* CPU time of the agent's resolver thread(s) */
	PP_RC_RECOVERED,        /* periods the kernel raised no signal for,
				   added to recorded samples' weight
				   (clock events; src/agent/handler.c) */
	PP_RC_NCOUNTERS = 16
};

struct pp_ring_hdr {
	char magic[8];
	uint32_t version;
	uint32_t hdr_size;       /* PP_RING_HDR_SIZE */
	uint64_t data_size;      /* power of two */
	uint32_t pid;
	uint32_t depth_limit;
	uint32_t nevents;
	uint32_t pad0;
	char _r0[64 - 40];
	uint64_t head;           /* producers: next byte to reserve */
	char _r1[56];
	uint64_t tail;           /* consumer: next byte to read */
	char _r2[56];
	uint64_t counters[PP_RC_NCOUNTERS];
	/* handler time per sample: samples by quarter octaves of TSC
	 * cycles, bucket 4*floor(log2 c) + next two bits of c (63: more) */
	uint64_t handler_hist[64];
};

/* A frame as the handler saw it: which code object (validated later, by
 * the resolver, against its fingerprint) and where in its bytecode. */
struct pp_ring_frame {
	uint64_t code;    /* PyCodeObject address in the target */
	uint32_t fp;      /* pp_pyframe_fingerprint() of that code object */
	int32_t offset;   /* bytes from the start of its bytecode, -1 unknown */
};

struct pp_ring_sample {
	uint32_t word;    /* length | PP_RING_COMMITTED (published last) */
	uint32_t tid;
	uint16_t event;   /* index into PYPERF_EVENTS */
	uint16_t nframes;
	uint32_t flags;   /* PP_SAMPLE_* */
	uint64_t ip;      /* interrupted native instruction pointer */
	uint16_t nnative; /* frame-pointer pairs after frames[] (--native) */
	uint16_t nstack;  /* stack words after those (--native) */
	uint32_t maps_gen; /* "<id>.maps" snapshots written before this sample */
	uint64_t sp, bp;  /* interrupted RSP and RBP (--native), else 0 */
	uint32_t periods; /* sampling periods this sample stands for: 1, or
			     more when the kernel raised one signal for
			     several overflows (see src/agent/handler.c) */
	uint32_t pad1;
	struct pp_ring_frame frames[]; /* innermost first */
	/* With --native, then:
	 *   uint64_t native[2 * nnative]: (frame address, return address)
	 *     pairs of a frame-pointer walk from RBP, innermost first: the
	 *     words at fp and fp + 8 are native[2i + 2] (the next fp) and
	 *     native[2i + 1].  Candidates only: code built without frame
	 *     pointers uses RBP as an ordinary register;
	 *   uint64_t stack[nstack]: the words from sp up, for the
	 *     consumer's .eh_frame unwinder (src/symbolize/cfi.c). */
};

static inline size_t pp_ring_sample_size3(unsigned nframes, unsigned nnative, unsigned nstack)
{
	return sizeof(struct pp_ring_sample) + (size_t)nframes * sizeof(struct pp_ring_frame) +
	       (size_t)nnative * 2 * sizeof(uint64_t) + (size_t)nstack * sizeof(uint64_t);
}

static inline size_t pp_ring_sample_size(unsigned nframes)
{
	return pp_ring_sample_size3(nframes, 0, 0);
}

static inline const uint64_t *pp_ring_sample_native(const struct pp_ring_sample *s)
{
	return (const uint64_t *)(const void *)&s->frames[s->nframes];
}

static inline const uint64_t *pp_ring_sample_stack(const struct pp_ring_sample *s)
{
	return pp_ring_sample_native(s) + 2 * (size_t)s->nnative;
}

static inline unsigned char *pp_ring_data(struct pp_ring_hdr *h)
{
	return (unsigned char *)h + h->hdr_size;
}

/* ---- producer side (agent; src/agent/ring.c) ----
 *
 * pp_ring__init formats a zeroed mapping of MAP_LEN bytes (header + a
 * power-of-two data area).  pp_ring__reserve and pp_ring__publish are
 * async-signal-safe: no syscalls, no locks, one CAS loop. */
int pp_ring__init(struct pp_ring_hdr *h, size_t map_len, uint32_t pid,
		  uint32_t depth_limit, uint32_t nevents);
/* Room for LEN bytes (multiple of 8) or NULL, counting PP_RC_LOST_FULL. */
void *pp_ring__reserve(struct pp_ring_hdr *h, uint32_t len);
/* Makes the record at REC (LEN bytes, as reserved) visible to the consumer. */
void pp_ring__publish(void *rec, uint32_t len);

static inline void pp_ring__count(struct pp_ring_hdr *h, enum pp_ring_counter c, uint64_t n)
{
	__atomic_fetch_add(&h->counters[c], n, __ATOMIC_RELAXED);
}

/* ---- consumer side (launcher, tests) ----
 *
 * Checks a freshly mapped ring; returns 0 or -1 when the header is not one
 * of ours or does not fit in MAP_LEN bytes. */
static inline int pp_ring_check(const struct pp_ring_hdr *h, size_t map_len)
{
	if (map_len < PP_RING_HDR_SIZE || memcmp(h->magic, PP_RING_MAGIC, 8) != 0 ||
	    h->version != PP_RING_VERSION || h->hdr_size != PP_RING_HDR_SIZE)
		return -1;
	if (h->data_size == 0 || (h->data_size & (h->data_size - 1)) != 0 ||
	    h->data_size > map_len - PP_RING_HDR_SIZE)
		return -1;
	return 0;
}

typedef int (*pp_ring_consume_fn)(const struct pp_ring_sample *s, void *ctx);

/* Hands every published record from tail on to FN, then frees it.
 * Returns the number of samples consumed, or -1 when the ring is
 * corrupt (a length that cannot be right): stop reading it then.
 * FN returning non-zero stops early, leaving that record in place. */
static inline long pp_ring_consume(struct pp_ring_hdr *h, pp_ring_consume_fn fn, void *ctx)
{
	unsigned char *data = pp_ring_data(h);
	uint64_t size = h->data_size, mask = size - 1;
	uint64_t tail = __atomic_load_n(&h->tail, __ATOMIC_RELAXED);
	uint64_t head = __atomic_load_n(&h->head, __ATOMIC_ACQUIRE);
	long n = 0;

	while (tail < head) {
		uint64_t off = tail & mask;
		uint32_t w = __atomic_load_n((uint32_t *)(data + off), __ATOMIC_ACQUIRE);
		uint32_t len = w & PP_RING_LEN_MASK;

		if (w == 0)
			break; /* reserved, not yet published */
		if (!(w & PP_RING_COMMITTED) || len < 8 || (len & 7) || off + len > size)
			return -1;
		if (!(w & PP_RING_PAD)) {
			const struct pp_ring_sample *s = (const void *)(data + off);
			if (len < sizeof(*s) ||
			    pp_ring_sample_size3(s->nframes, s->nnative, s->nstack) > len)
				return -1;
			if (fn(s, ctx) != 0)
				break;
			n++;
		}
		/* Zero the whole record so that the next lap's producers find
		 * 0 in every word they have not published yet. */
		memset(data + off, 0, len);
		tail += len;
		__atomic_store_n(&h->tail, tail, __ATOMIC_RELEASE);
	}
	return n;
}

#endif
