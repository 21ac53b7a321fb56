{{ config(materialized='incremental', incremental_strategy='insert_overwrite', partition_by='order_date') }}

-- The same daily revenue with insert_overwrite (the days the new rows hold are replaced): dbt-duckdb has no such
-- strategy, so this model stays out of the oracle run.
select
    order_date,
    count(*) as orders,
    count(*) filter (where status = 'returned') as returned_orders,
    sum(case when status <> 'returned' then amount else 0 end) as revenue
from {{ ref('fct_orders') }}
{% if is_incremental() %}
where order_date >= (select max(order_date) from {{ this }}) - interval {{ var('lookback_days', 2) }} day
{% endif %}
group by order_date
