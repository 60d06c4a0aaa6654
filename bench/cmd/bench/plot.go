package main

import (
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

var palette = []color.Color{
	color.RGBA{0x1f, 0x77, 0xb4, 0xff}, color.RGBA{0xff, 0x7f, 0x0e, 0xff},
	color.RGBA{0x2c, 0xa0, 0x2c, 0xff}, color.RGBA{0xd6, 0x27, 0x28, 0xff},
}

type series struct {
	name string
	key  string
	k    float64 // scale
}

// bars draws, for each contender, one bar per series: the median over rounds,
// with the range as an error bar.
func bars(res *results, sc string, cs []string, title, ylabel string, ss []series, file string) error {
	cs = plotted(res, sc, cs, ss)
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	w := vg.Points(float64(60) / float64(len(ss)))
	for i, s := range ss {
		var v plotter.Values
		var errs plotter.YErrors
		for _, c := range cs {
			med, lo, hi, n := stats(scale(vals(res, sc, c, s.key), s.k))
			if n == 0 {
				med, lo, hi = 0, 0, 0
			}
			v = append(v, med)
			errs = append(errs, struct{ Low, High float64 }{med - lo, hi - med})
		}
		bc, err := plotter.NewBarChart(v, w)
		if err != nil {
			return err
		}
		bc.Color = palette[i%len(palette)]
		bc.LineStyle.Width = 0
		bc.Offset = w * vg.Length(float64(i)-float64(len(ss)-1)/2)
		p.Add(bc)
		if len(ss) > 1 {
			p.Legend.Add(s.name, bc)
		}
		if len(ss) == 1 { // the range over rounds, as an error bar
			var pts plotter.XYs
			for j := range cs {
				pts = append(pts, plotter.XY{X: float64(j), Y: v[j]})
			}
			eb, err := plotter.NewYErrorBars(struct {
				plotter.XYs
				plotter.YErrors
			}{pts, errs})
			if err == nil {
				p.Add(eb)
			}
		}
	}
	p.Legend.Top = true
	p.NominalX(cs...)
	p.Y.Min = 0
	if len(ss) > 1 {
		p.Y.Max *= 1.2 // room for the legend above the bars
	}
	return p.Save(vg.Length(90+70*len(cs))*vg.Points(1), 300, file)
}

// plotted returns the contenders of cs that have a figure in one of the
// series at least, in scenario sc.
func plotted(res *results, sc string, cs []string, ss []series) []string {
	return slices.DeleteFunc(slices.Clone(cs), func(c string) bool {
		for _, s := range ss {
			if _, _, _, n := stats(vals(res, sc, c, s.key)); n > 0 {
				return false
			}
		}
		return true
	})
}

func writePlots(res *results, scens []scenario, cs []contender, dir string) (map[string][]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	out := map[string][]string{}
	var names []string // bars keeps those with figures (plotted)
	for _, c := range cs {
		names = append(names, c.name)
	}
	for _, s := range scens {
		if res.Data[s.name] == nil {
			continue
		}
		file := filepath.Join(dir, s.name+".png")
		var err error
		switch {
		case strings.HasPrefix(s.name, "echo"):
			err = bars(res, s.name, names, s.name+": server CPU per echo", "µs", []series{{"CPU µs/echo", "cpu_us", 1}}, file)
			if err == nil {
				err = bars(res, s.name, names, s.name+": latency", "ms", []series{{"p50", "p50", 1e-3}, {"p99", "p99", 1e-3}},
					filepath.Join(dir, s.name+"-latency.png"))
			}
		case strings.HasPrefix(s.name, "polling-echo"):
			err = bars(res, s.name, names, s.name+": server CPU per echo", "µs", []series{{"CPU µs/echo", "cpu_us", 1}}, file)
			if err == nil {
				err = bars(res, s.name, names, s.name+": latency", "ms", []series{{"p50", "p50", 1e-3}, {"p99", "p99", 1e-3}},
					filepath.Join(dir, s.name+"-latency.png"))
			}
		case strings.HasPrefix(s.name, "throughput-ack"):
			err = bars(res, s.name, names, s.name+": acks per second (closed loop)", "acks/s", []series{{"acks/s", "msgs_per_s", 1}}, file)
			if err == nil {
				err = bars(res, s.name, names, s.name+": server CPU per ack", "µs", []series{{"CPU µs/ack", "cpu_us", 1}},
					filepath.Join(dir, s.name+"-cpu.png"))
			}
		case strings.HasPrefix(s.name, "throughput"):
			err = bars(res, s.name, names, s.name+": echoes per second (closed loop)", "echoes/s", []series{{"echoes/s", "msgs_per_s", 1}}, file)
		case strings.HasPrefix(s.name, "redis"):
			err = bars(res, s.name, names, s.name+": CPU per delivery, both nodes", "µs", []series{{"CPU µs/delivery", "cpu_us", 1}}, file)
			if err == nil {
				err = bars(res, s.name, names, s.name+": cross-node delivery latency", "ms", []series{{"p50", "p50", 1e-3}, {"p99", "p99", 1e-3}},
					filepath.Join(dir, s.name+"-latency.png"))
			}
		case strings.HasPrefix(s.name, "fanout-sat"):
			err = bars(res, s.name, names, s.name+": max deliveries/s with p99 < 500 ms", "deliveries/s", []series{{"deliveries/s", "sat_dps", 1}}, file)
		case strings.HasPrefix(s.name, "fanout"):
			err = bars(res, s.name, names, s.name+": server CPU per delivery", "µs", []series{{"CPU µs/delivery", "cpu_us", 1}}, file)
			if err == nil {
				err = bars(res, s.name, names, s.name+": delivery latency", "ms", []series{{"p50", "p50", 1e-3}, {"p99", "p99", 1e-3}},
					filepath.Join(dir, s.name+"-latency.png"))
			}
		case strings.HasPrefix(s.name, "idle"):
			err = bars(res, s.name, names, s.name+": RSS per idle connection", "KB", []series{{"KB/conn", "kb_per_conn", 1}}, file)
			if err == nil {
				err = bars(res, s.name, names, s.name+": connects per second", "connects/s",
					[]series{{"WebSocket", "conn_per_s", 1}, {"polling→WebSocket", "poll_conn_per_s", 1}},
					filepath.Join(dir, s.name+"-rate.png"))
			}
		}
		if err != nil {
			return out, err
		}
		for _, suffix := range []string{"", "-cpu", "-latency", "-rate"} {
			if _, err := os.Stat(filepath.Join(dir, s.name+suffix+".png")); err == nil {
				out[s.name] = append(out[s.name], "plots/"+s.name+suffix+".png")
			}
		}
	}
	return out, nil
}
