# written by bench_peers: gnuplot plots.gp (in this directory)
set terminal png size 960,600
set datafile missing '?'
set logscale xy
set xlabel 'points'
set grid
set key outside right top
set format x '%.0s%c'
set output 'throughput.png'
set title 'Peak throughput (closed loop), same machine, same run'
set ylabel 'requests or queries per second'
plot for [i=2:7] 'sizes.dat' using 1:i with linespoints title columnheader(i), \
     for [i=20:21] 'sizes.dat' using 1:i with linespoints dashtype 2 title columnheader(i)
set output 'latency.png'
set title 'Latency at 80 % of each engine''s peak (open loop): p99 solid, p50 dashed'
set ylabel 'microseconds'
plot for [i=14:19] 'sizes.dat' using 1:i with linespoints lc (i-13) title columnheader(i), \
     for [i=8:13] 'sizes.dat' using 1:i with linespoints lc (i-7) dashtype 2 notitle
