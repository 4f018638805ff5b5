/* ring.c: the producer side of the shared sample ring (format and
 * consumer: include/pyperf/ring.h).
 *
 * pp_ring__reserve and pp_ring__publish run inside signal handlers on any
 * thread, concurrently.  Rules kept here: no malloc, no stdio, no locks,
 * no system calls, atomics only (the consumer is another process reading
 * the same pages, so only lock-free atomics on naturally aligned words). */
#include <errno.h>

#include "pyperf/ring.h"

int pp_ring__init(struct pp_ring_hdr *h, size_t map_len, uint32_t pid,
		  uint32_t depth_limit, uint32_t nevents)
{
	uint64_t data = 1;

	if (map_len < PP_RING_HDR_SIZE + 4096)
		return -EINVAL;
	while (data * 2 <= map_len - PP_RING_HDR_SIZE)
		data *= 2;
	memset(h, 0, PP_RING_HDR_SIZE);
	h->version = PP_RING_VERSION;
	h->hdr_size = PP_RING_HDR_SIZE;
	h->data_size = data;
	h->pid = pid;
	h->depth_limit = depth_limit;
	h->nevents = nevents;
	/* The magic goes last: a consumer that maps the file early sees
	 * either nothing or a complete header. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(h->magic, PP_RING_MAGIC, 8);
	return 0;
}

void *pp_ring__reserve(struct pp_ring_hdr *h, uint32_t len)
{
	unsigned char *data = pp_ring_data(h);
	uint64_t size = h->data_size, mask = size - 1;
	uint64_t head = __atomic_load_n(&h->head, __ATOMIC_RELAXED);
	uint64_t off, pad, tail;

	if (len == 0 || (len & 7) || len > PP_RING_LEN_MASK || len > size / 2) {
		pp_ring__count(h, PP_RC_LOST_FULL, 1);
		return NULL;
	}
	for (;;) {
		off = head & mask;
		pad = off + len > size ? size - off : 0;
		tail = __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE);
		if (head + pad + len - tail > size) {
			pp_ring__count(h, PP_RC_LOST_FULL, 1);
			return NULL;
		}
		if (__atomic_compare_exchange_n(&h->head, &head, head + pad + len, 1,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			break;
		/* head was reloaded by the failed CAS: another producer won */
	}
	if (pad) {
		/* The rest of the data area becomes a padding record that the
		 * consumer skips; ours starts at offset 0. */
		__atomic_store_n((uint32_t *)(data + off),
				 (uint32_t)pad | PP_RING_COMMITTED | PP_RING_PAD,
				 __ATOMIC_RELEASE);
		off = 0;
	}
	return data + off;
}

void pp_ring__publish(void *rec, uint32_t len)
{
	__atomic_store_n((uint32_t *)rec, len | PP_RING_COMMITTED, __ATOMIC_RELEASE);
}
