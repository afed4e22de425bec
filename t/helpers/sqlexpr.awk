# sqlexpr.awk - prints n random SQL expressions as "SELECT expr;" lines
# (awk -v seed=S -v n=N -f sqlexpr.awk), mixing every operator of
# SQLite's precedence table without parentheses, so that a parser that
# groups differently from SQLite computes a different value.
function atom(  r) {
	r = int(rand() * 12)
	if (r < 6) return int(rand() * 10)
	if (r == 6) return "NULL"
	if (r == 7) return "'a'"
	if (r == 8) return "'B'"
	if (r == 9) return "1.5"
	if (r == 10) return "x'41'"
	return "-3"
}
function maybe_not() { return rand() < 0.5 ? " NOT" : "" }
function gen(d,   r) {
	if (d <= 0 || rand() < 0.2) return atom()
	r = int(rand() * 20)
	if (r < 8) return gen(d - 1) " " bin[1 + int(rand() * nbin)] " " gen(d - 1)
	if (r == 8) return pre[1 + int(rand() * npre)] " " gen(d - 1)
	if (r == 9) return gen(d - 1) " " post[1 + int(rand() * npost)]
	if (r == 10) return gen(d - 1) maybe_not() " BETWEEN " gen(d - 1) " AND " gen(d - 1)
	if (r == 11) return gen(d - 1) maybe_not() " IN (" gen(d - 1) ", " gen(d - 1) ")"
	if (r == 12) return "(" gen(d - 1) ")"
	if (r == 13) return "CASE WHEN " gen(d - 1) " THEN " gen(d - 1) " ELSE " gen(d - 1) " END"
	if (r == 14) return gen(d - 1) maybe_not() " LIKE " gen(d - 1) (rand() < 0.5 ? " ESCAPE '!'" : "")
	if (r == 15) return "coalesce(" gen(d - 1) ", " gen(d - 1) ")"
	if (r == 16) return gen(d - 1) " COLLATE nocase"
	if (r == 17) return gen(d - 1) maybe_not() " GLOB " gen(d - 1)
	if (r == 18) return "CAST(" gen(d - 1) " AS INTEGER)"
	return gen(d - 1) " " bin[1 + int(rand() * nbin)] " " gen(d - 1)
}
BEGIN {
	srand(seed)
	nbin = split("OR,AND,=,==,<>,!=,IS,IS NOT,IS DISTINCT FROM,IS NOT DISTINCT FROM,<,<=,>,>=,&,|,<<,>>,+,-,*,/,%,||", bin, ",")
	npre = split("NOT,-,+,~", pre, ",")
	npost = split("ISNULL,NOTNULL,NOT NULL,IS NULL,IS NOT NULL", post, ",")
	for (i = 0; i < n; i++)
		print "SELECT " gen(4) ";"
}
