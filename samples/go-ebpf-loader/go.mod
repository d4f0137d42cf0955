module github.com/example/xdp-exporter

go 1.22

require (
	github.com/cilium/ebpf v0.16.0
	github.com/prometheus/client_golang v1.20.4
	github.com/vishvananda/netlink v1.3.0
)
