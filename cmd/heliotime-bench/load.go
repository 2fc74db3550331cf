package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

type loadOptions struct {
	URL      string
	Users    int
	Duration time.Duration
	Rate     float64
	Steps    int
	Width    int
	Seed     uint64
	Timeout  time.Duration
	NoAlign  bool
	MaxRes   int
}

func newLoadCmd(stdout io.Writer, log *slog.Logger) *cobra.Command {
	opts := loadOptions{}
	cmd := &cobra.Command{
		Use:   "load",
		Short: "Simulated users panning views against GET /flux (the original's benchmark method)",
		Long: `Reproduce the original server's benchmark.py against a running heliotime serve:
--users simulated users each perform pans one after another until --duration ends. A pan
picks a view of size range × min(lognormal(0, 1) / 40, 1.5) (range = /status start to end)
starting uniformly at range.start + U(0,1)·range − view/2, then takes --steps steps, each
advancing 0.6 × view, launching one request per step every 1/--rate seconds without
waiting for earlier ones (--rate 0: each user waits for its answer, a closed loop that
measures capacity). Requests are aligned as the site aligns them (resolution step 200,
interval rounded up to a power of 1.4, window snapped to half-chunks). Latency is the
time until the response headers arrive; a non-2xx answer or a transport error counts as
an error. Reports p50/p95/p99, throughput and errors overall and per view size.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runLoad(cmd.Context(), stdout, log, opts) },
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.URL, "url", "http://127.0.0.1:8000", "base URL of heliotime serve")
	fs.IntVar(&opts.Users, "users", 50, "simulated users")
	fs.DurationVar(&opts.Duration, "duration", 60*time.Second, "how long users start requests")
	fs.Float64Var(&opts.Rate, "rate", 5, "requests per second per user (0: closed loop, as fast as answers come)")
	fs.IntVar(&opts.Steps, "steps", 30, "steps per pan")
	fs.IntVar(&opts.Width, "width", 2000, "chart width in pixels (resolution before the site's alignment)")
	fs.IntVar(&opts.MaxRes, "max-resolution", 2000, "the server's max resolution (a larger aligned resolution is clamped there)")
	fs.Uint64Var(&opts.Seed, "seed", 1, "random seed")
	fs.DurationVar(&opts.Timeout, "timeout", 30*time.Second, "per-request timeout")
	fs.BoolVar(&opts.NoAlign, "no-align", false, "send the raw view instead of the site's aligned window")
	return cmd
}

// viewClasses name view sizes for the report.
var viewClasses = []struct {
	name string
	max  time.Duration
}{
	{"<=5m", 5 * time.Minute}, {"<=1h", time.Hour}, {"<=1d", 24 * time.Hour}, {"<=1w", 7 * 24 * time.Hour},
	{"<=1mo", 31 * 24 * time.Hour}, {"<=1y", 366 * 24 * time.Hour}, {">1y", math.MaxInt64},
}

func viewClass(d time.Duration) int {
	for i, c := range viewClasses {
		if d <= c.max {
			return i
		}
	}
	return len(viewClasses) - 1
}

type sample struct {
	class   int
	latency time.Duration
	server  time.Duration
	err     bool
}

// fetchStatus polls /status until start and end are set (10 tries, 5 s apart).
func fetchStatus(ctx context.Context, client *http.Client, base string) (time.Time, time.Time, error) {
	var last error
	for try := range 10 {
		if try > 0 {
			select {
			case <-ctx.Done():
				return time.Time{}, time.Time{}, ctx.Err()
			case <-time.After(5 * time.Second):
			}
		}
		resp, err := client.Get(base + "/status")
		if err != nil {
			last = err
			continue
		}
		var st struct{ Start, End *time.Time }
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if err != nil {
			last = fmt.Errorf("decode /status: %w", err)
			continue
		}
		if st.Start != nil && st.End != nil {
			return *st.Start, *st.End, nil
		}
		last = fmt.Errorf("/status has no range yet")
	}
	return time.Time{}, time.Time{}, fmt.Errorf("GET %s/status: %w", base, last)
}

// alignView aligns a view [from, to] (ms) for a chart of width px as the site does and
// returns the query window and resolution.
func alignView(from, to float64, width int) (float64, float64, int) {
	r := math.Ceil(float64(width)/200) * 200
	i := (to - from) / r
	I := math.Pow(1.4, math.Ceil(math.Log(i)/math.Log(1.4)))
	chunk := I * r * 0.5
	f := math.Floor(from/chunk) * chunk
	t := math.Ceil(to/chunk) * chunk
	return f, t, int(math.Ceil((t - f) / I))
}

func isoMillis(ms float64) string {
	return time.UnixMilli(int64(ms)).UTC().Format("2006-01-02T15:04:05.000Z")
}

// fluxURL builds the request for a view in ms.
func fluxURL(base string, from, to float64, width, maxRes int, align bool) string {
	res := width
	if align {
		from, to, res = alignView(from, to, width)
	}
	res = min(res, maxRes)
	q := url.Values{}
	q.Set("resolution", strconv.Itoa(res))
	q.Set("start", isoMillis(math.Floor(from)))
	q.Set("end", isoMillis(math.Ceil(to)))
	return base + "/flux?" + q.Encode()
}

// get performs one request and measures it: time to headers and the server's own time.
func get(ctx context.Context, client *http.Client, u string) (time.Duration, time.Duration, bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, 0, false
	}
	begin := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return time.Since(begin), 0, false
	}
	lat := time.Since(begin)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return lat, serverTiming(resp.Header.Get("Server-Timing")), resp.StatusCode >= 200 && resp.StatusCode < 300
}

// serverTiming reads the app;dur= entry (milliseconds) of a Server-Timing header.
func serverTiming(h string) time.Duration {
	for part := range strings.SplitSeq(h, ",") {
		for f := range strings.SplitSeq(part, ";") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(f), "dur="); ok {
				ms, err := strconv.ParseFloat(v, 64)
				if err == nil {
					return time.Duration(ms * float64(time.Millisecond))
				}
			}
		}
	}
	return 0
}

func newClient(conns int, timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = conns
	tr.MaxIdleConnsPerHost = conns
	return &http.Client{Transport: tr, Timeout: timeout}
}

func runLoad(ctx context.Context, stdout io.Writer, log *slog.Logger, opts loadOptions) error {
	if opts.Users < 1 || opts.Steps < 1 || opts.Width < 1 {
		return fmt.Errorf("--users, --steps and --width must be positive")
	}
	base := strings.TrimRight(opts.URL, "/")
	client := newClient(opts.Users*8, opts.Timeout)
	start, end, err := fetchStatus(ctx, client, base)
	if err != nil {
		return err
	}
	rangeMs := float64(end.Sub(start).Milliseconds())
	log.Info("load", "range", start.Format(time.RFC3339)+" .. "+end.Format(time.RFC3339), "users", opts.Users,
		"duration", opts.Duration, "rate_per_user", opts.Rate)
	var (
		mu      sync.Mutex
		samples []sample
		wg      sync.WaitGroup
	)
	record := func(s sample) {
		mu.Lock()
		samples = append(samples, s)
		mu.Unlock()
	}
	deadline := time.Now().Add(opts.Duration)
	begin := time.Now()
	for u := range opts.Users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(opts.Seed, uint64(u)))
			var inflight sync.WaitGroup
			defer inflight.Wait()
			var tick *time.Ticker
			if opts.Rate > 0 {
				tick = time.NewTicker(time.Duration(float64(time.Second) / opts.Rate))
				defer tick.Stop()
			}
			for time.Now().Before(deadline) && ctx.Err() == nil {
				view := rangeMs * math.Min(math.Exp(rng.NormFloat64())/40, 1.5)
				pos := float64(start.UnixMilli()) + rng.Float64()*rangeMs - view/2
				class := viewClass(time.Duration(view) * time.Millisecond)
				for step := 0; step < opts.Steps && time.Now().Before(deadline); step++ {
					from := pos + float64(step)*0.6*view
					u := fluxURL(base, from, from+view, opts.Width, opts.MaxRes, !opts.NoAlign)
					if tick == nil {
						lat, srv, ok := get(ctx, client, u)
						record(sample{class, lat, srv, !ok})
						continue
					}
					inflight.Add(1)
					go func() {
						defer inflight.Done()
						lat, srv, ok := get(ctx, client, u)
						record(sample{class, lat, srv, !ok})
					}()
					select {
					case <-tick.C:
					case <-ctx.Done():
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(begin)
	report(stdout, samples, elapsed)
	return nil
}

type stats struct {
	n, errs             int
	p50, p95, p99, mean time.Duration
	s50, s95, s99       time.Duration
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

func summarize(ss []sample) stats {
	var st stats
	var lat, srv []time.Duration
	var sum time.Duration
	for _, s := range ss {
		st.n++
		if s.err {
			st.errs++
		}
		lat = append(lat, s.latency)
		srv = append(srv, s.server)
		sum += s.latency
	}
	slices.Sort(lat)
	slices.Sort(srv)
	st.p50, st.p95, st.p99 = percentile(lat, .5), percentile(lat, .95), percentile(lat, .99)
	st.s50, st.s95, st.s99 = percentile(srv, .5), percentile(srv, .95), percentile(srv, .99)
	if st.n > 0 {
		st.mean = sum / time.Duration(st.n)
	}
	return st
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 2, 64)
}

func report(w io.Writer, samples []sample, elapsed time.Duration) {
	all := summarize(samples)
	fmt.Fprintf(w, "duration %.1f s, %d requests, %d errors, %.1f requests/s\n\n", elapsed.Seconds(), all.n, all.errs, float64(all.n)/elapsed.Seconds())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "view\trequests\terrors\tp50 ms\tp95 ms\tp99 ms\tmean ms\tserver p50 ms\tserver p95 ms\tserver p99 ms\t")
	for i, c := range viewClasses {
		var ss []sample
		for _, s := range samples {
			if s.class == i {
				ss = append(ss, s)
			}
		}
		if len(ss) == 0 {
			continue
		}
		st := summarize(ss)
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", c.name, st.n, st.errs, ms(st.p50), ms(st.p95), ms(st.p99), ms(st.mean), ms(st.s50), ms(st.s95), ms(st.s99))
	}
	fmt.Fprintf(tw, "all\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", all.n, all.errs, ms(all.p50), ms(all.p95), ms(all.p99), ms(all.mean), ms(all.s50), ms(all.s95), ms(all.s99))
	tw.Flush()
}
