// SPDX-License-Identifier: GPL-2.0
// Counts packets and bytes per L4 protocol on the XDP hook, then passes them on.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

enum { PROTO_OTHER, PROTO_TCP, PROTO_UDP, PROTO_ICMP, PROTO_MAX };

struct counters {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PROTO_MAX);
	__type(key, __u32);
	__type(value, struct counters);
} pkt_stats SEC(".maps");

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 key = PROTO_OTHER;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;

	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > data_end)
			return XDP_PASS;
		switch (ip->protocol) {
		case IPPROTO_TCP:  key = PROTO_TCP;  break;
		case IPPROTO_UDP:  key = PROTO_UDP;  break;
		case IPPROTO_ICMP: key = PROTO_ICMP; break;
		}
	}

	struct counters *c = bpf_map_lookup_elem(&pkt_stats, &key);
	if (c) {
		c->packets++;
		c->bytes += data_end - data;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
