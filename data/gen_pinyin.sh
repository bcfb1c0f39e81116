#!/bin/sh
# gen_pinyin.sh SRC OUT - writes the toneless pinyin table that index/pinyin.c reads (embedded by
# data/pinyin_data.c) from Unihan_Readings.txt.bz2 (Debian's unicode-data, Unicode 15.0; the
# Unicode data files licence, reproduced in data/PINYIN.md: the output is a modified data file).
# Run by make; POSIX sh + bzip2 + any POSIX awk (mawk is enough).
#
# Output, one line per code point that has a Mandarin reading in any of the fields below, in code
# point order:
#     HEX<TAB>reading[ reading...]
# HEX is the code point in upper-case hex without "U+"; readings are distinct, lower-case ASCII
# [a-z]+ with the tone marks removed and u-umlaut written v. The first reading is kMandarin's
# first value (its customary reading; for the 2 code points without kMandarin, the first of the
# next field); then the others in the order kMandarin, kXHC1983,
# kTGHZ2013, kHanyuPinlu, kHanyuPinyin, each in the order the field lists them.
set -eu
src=${1:?usage: gen_pinyin.sh Unihan_Readings.txt.bz2 OUT}
out=${2:?usage: gen_pinyin.sh Unihan_Readings.txt.bz2 OUT}
[ -r "$src" ] || { echo "gen_pinyin.sh: $src not found (apt-get install unicode-data)" >&2; exit 1; }
# a broken archive must fail the build, and a pipeline's status is awk's: test first
bzip2 -t "$src"
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
bzcat "$src" | awk -F '\t' '
function toneless(s) {
    gsub(/ǖ|ǘ|ǚ|ǜ|ü/, "v", s)
    gsub(/ā|á|ǎ|à/, "a", s)
    gsub(/ē|é|ě|è|ê|ế|ề/, "e", s)
    gsub(/ī|í|ǐ|ì/, "i", s)
    gsub(/ō|ó|ǒ|ò/, "o", s)
    gsub(/ū|ú|ǔ|ù/, "u", s)
    gsub(/ń|ň|ǹ/, "n", s)
    gsub(/ḿ/, "m", s)
    gsub(/\314\200|\314\201|\314\204|\314\214/, "", s) # combining grave, acute, macron, caron
    s = tolower(s)
    if (s !~ /^[a-z]+$/) {
        printf "gen_pinyin.sh: %s: unexpected reading \"%s\"\n", cp, s > "/dev/stderr"
        bad = 1
    }
    return s
}
function add(r) {
    r = toneless(r)
    if (!(r in seen)) {
        seen[r] = 1
        list = list (list == "" ? "" : " ") r
    }
}
# split a field value into readings, given the field name
function readings(field, v,    n, i, a, m, j, b) {
    n = split(v, a, " ")
    for (i = 1; i <= n; i++) {
        if (field == "kHanyuPinlu") {
            sub(/\(.*$/, "", a[i])            # zhǎng(1879)
            add(a[i])
        } else if (field == "kMandarin") {
            add(a[i])
        } else {                               # LOC[,LOC]:r[,r]  (LOC may carry a *)
            sub(/^.*:/, "", a[i])
            m = split(a[i], b, ",")
            for (j = 1; j <= m; j++)
                add(b[j])
        }
    }
}
function flush(    k) {
    if (cp != "") {
        list = ""
        for (k in seen)
            delete seen[k]
        readings("kMandarin", f["kMandarin"])
        readings("kXHC1983", f["kXHC1983"])
        readings("kTGHZ2013", f["kTGHZ2013"])
        readings("kHanyuPinlu", f["kHanyuPinlu"])
        readings("kHanyuPinyin", f["kHanyuPinyin"])
        if (list != "") {
            print substr(cp, 3) "\t" list
            lines++
        }
    }
    for (k in f)
        delete f[k]
}
/^#/ || NF < 3 { next }
$2 != "kMandarin" && $2 != "kXHC1983" && $2 != "kTGHZ2013" && $2 != "kHanyuPinlu" &&
    $2 != "kHanyuPinyin" { next }
$1 != cp { flush(); cp = $1 }
{ f[$2] = $3 }
END {
    flush()
    # Unihan 15.0 has 41,420 kMandarin entries; far fewer means a truncated or foreign file
    if (bad || lines < 30000) {
        printf "gen_pinyin.sh: %d code points, %s\n", lines, bad ? "bad readings" : "too few" > "/dev/stderr"
        exit 1
    }
}' >"$tmp"
mv "$tmp" "$out"
trap - EXIT
