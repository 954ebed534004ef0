# fn_length.awk — print "LINES FILE FUNCTION" for every C function longer than MAX lines.
# A function is a definition whose body opens with "{" in column 0 (the style of this tree);
# its length counts from the line that names it to the closing "}" in column 0.
# SPDX-License-Identifier: GPL-3.0-or-later
FNR == 1 { sig = 0; start = 0 }
/^[A-Za-z_]/ && !/^(typedef|struct|enum|union)[^(]*$/ {
    if (match($0, /[A-Za-z_][A-Za-z0-9_]*[ \t]*\(/)) {
        name = substr($0, RSTART, RLENGTH)
        sub(/[ \t]*\($/, "", name)
        sig = FNR
    }
}
/^\{/ { start = sig; fname = name }
/^\}/ {
    if (start && FNR - start + 1 > MAX)
        print FNR - start + 1, FILENAME, fname
    start = 0
    sig = 0
}
