// Command xdp-exporter attaches an XDP packet counter to a network interface
// and exports the per-protocol counters as Prometheus metrics.
package main

import (
	"context"
	"errors"
	"flag"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/rlimit"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
)

// counters mirrors struct counters in bpf/xdp_counter.c.
type counters struct {
	Packets uint64
	Bytes   uint64
}

var protoNames = []string{"other", "tcp", "udp", "icmp"}

type objects struct {
	Prog  *ebpf.Program `ebpf:"xdp_count"`
	Stats *ebpf.Map     `ebpf:"pkt_stats"`
}

// collector reads the per-CPU map on every scrape.
type collector struct {
	stats          *ebpf.Map
	iface          string
	packets, bytes *prometheus.Desc
}

func newCollector(m *ebpf.Map, iface string) *collector {
	labels := []string{"iface", "proto"}
	return &collector{
		stats:   m,
		iface:   iface,
		packets: prometheus.NewDesc("xdp_packets_total", "Packets seen on the XDP hook.", labels, nil),
		bytes:   prometheus.NewDesc("xdp_bytes_total", "Bytes seen on the XDP hook.", labels, nil),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.packets
	ch <- c.bytes
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	for key, name := range protoNames {
		var perCPU []counters
		if err := c.stats.Lookup(uint32(key), &perCPU); err != nil {
			log.Printf("lookup %s: %v", name, err)
			continue
		}
		var sum counters
		for _, v := range perCPU {
			sum.Packets += v.Packets
			sum.Bytes += v.Bytes
		}
		ch <- prometheus.MustNewConstMetric(c.packets, prometheus.CounterValue, float64(sum.Packets), c.iface, name)
		ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.CounterValue, float64(sum.Bytes), c.iface, name)
	}
}

func main() {
	ifaceName := flag.String("iface", "eth0", "interface to attach to")
	objPath := flag.String("obj", "xdp_counter.o", "compiled BPF object")
	listen := flag.String("listen", ":9435", "metrics address")
	generic := flag.Bool("generic", false, "use generic (SKB) XDP mode instead of driver mode")
	flag.Parse()

	// Kernels before 5.11 account BPF maps against RLIMIT_MEMLOCK.
	if err := rlimit.RemoveMemlock(); err != nil {
		log.Fatalf("remove memlock: %v", err)
	}

	spec, err := ebpf.LoadCollectionSpec(*objPath)
	if err != nil {
		log.Fatalf("load spec: %v", err)
	}
	var objs objects
	if err := spec.LoadAndAssign(&objs, nil); err != nil {
		log.Fatalf("load objects: %v", err)
	}
	defer objs.Prog.Close()
	defer objs.Stats.Close()

	link, err := netlink.LinkByName(*ifaceName)
	if err != nil {
		log.Fatalf("lookup %s: %v", *ifaceName, err)
	}
	flags := nl.XDP_FLAGS_DRV_MODE
	if *generic {
		flags = nl.XDP_FLAGS_SKB_MODE
	}
	if err := netlink.LinkSetXdpFdWithFlags(link, objs.Prog.FD(), flags); err != nil {
		log.Fatalf("attach XDP to %s: %v", *ifaceName, err)
	}
	defer func() {
		if err := netlink.LinkSetXdpFdWithFlags(link, -1, flags); err != nil {
			log.Printf("detach XDP: %v", err)
		}
	}()
	log.Printf("counting packets on %s (index %d)", *ifaceName, link.Attrs().Index)

	reg := prometheus.NewRegistry()
	reg.MustRegister(newCollector(objs.Stats, *ifaceName))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 5 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Printf("metrics server: %v", err)
			stop()
		}
	}()

	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown)
}
