select a, b, row_number() over (order by a, b), rank() over (order by a), dense_rank() over (order by a), percent_rank() over (order by a), cume_dist() over (order by a) from t order by a, b;
select a, b, sum(b) over (partition by a order by b), count(*) over (partition by a), avg(b) over () from t order by a, b;
select a, b, sum(b) over (order by a, b rows between 1 preceding and 1 following), min(b) over (order by a, b rows 2 preceding) from t order by a, b;
select a, b, sum(b) over (order by a range between 1 preceding and current row), count(*) over (order by a groups between 1 preceding and 1 following) from t order by a, b;
select a, b, lag(b) over (order by a, b), lead(b, 2, -1) over (order by a, b), first_value(b) over (partition by a order by b), last_value(b) over (partition by a order by b), nth_value(b, 2) over (order by a, b) from t order by a, b;
select a, b, ntile(3) over (order by a, b), ntile(2) over (partition by a order by b) from t order by a, b;
select a, b, sum(b) over w, max(b) over (w rows unbounded preceding) from t window w as (partition by a order by b) order by a, b;
select a, b, sum(b) over (order by a, b rows between unbounded preceding and unbounded following exclude current row), sum(b) over (order by a groups between current row and unbounded following exclude group), count(*) over (order by a range between unbounded preceding and unbounded following exclude ties) from t order by a, b;
select a, b, count(*) filter (where b > 2) over (order by a, b), group_concat(b, '-') over (order by a, b rows between 1 preceding and current row) from t order by a, b;
select a, sum(b), sum(sum(b)) over (order by a), rank() over (order by sum(b) desc) from t group by a order by a;
select a, b from t order by row_number() over (order by b desc, a desc) limit 3;
select a, b, total(b) over (order by a desc, b desc range between 2 following and 5 following) from t order by a, b;
select row_number() over () from t where row_number() over () > 1;
select ntile(0) over (order by a) from t;
select sum(b) over (order by a range 1 preceding) from (select a, b from t order by a);
select sum(b) over (order by a, b range 1 preceding) from t;
select nth_value(b, 0) over (order by a) from t;
select sum(b) over nope from t;
select count(distinct b) over () from t;
select a, json_group_array(b) over (partition by a order by b) from t order by a, b;
select x, lag(x, 1, 'none') over (order by x) from (select 1 x union all select 2 union all select 3) order by x;
select a, b, sum(b) over (partition by a), count(b) over (order by b nulls last), row_number() over (partition by a order by b desc nulls first) from t order by a, b;
select a, b, avg(b) over (order by b rows between current row and 2 following), max(a) over (order by b rows between 2 following and 3 following) from t order by a, b;
select distinct a, count(*) over (partition by a) from t order by 1;
select a, b, first_value(b) over (order by a rows between 1 following and unbounded following exclude no others) from t order by a, b;
select sum(b) over (w order by a) from t window w as (order by b);
select sum(b) over (w partition by a) from t window w as (order by b);
select rank() filter (where a > 1) over (order by a) from t;
select a, (select count(*) from t t2 where t2.a < t.a), sum(b) over (order by a, b) from t order by a, b;
SELECT a, sum(b) OVER (ORDER BY a ROWS UNBOUNDED FOLLOWING) FROM t
SELECT a, sum(b) OVER (ORDER BY a ROWS BETWEEN UNBOUNDED FOLLOWING AND CURRENT ROW) FROM t
SELECT a, sum(b) OVER (ORDER BY a ROWS BETWEEN CURRENT ROW AND UNBOUNDED PRECEDING) FROM t
SELECT a, sum(b) OVER (ORDER BY a ROWS BETWEEN 1 FOLLOWING AND 1 PRECEDING) FROM t
