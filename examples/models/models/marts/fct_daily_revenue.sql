{{ config(materialized='incremental', unique_key='order_date', incremental_strategy='delete+insert') }}

-- Revenue per order day. Incremental with a lookback: each run re-aggregates the last lookback_days days (statuses
-- change after the order day) and replaces those days.
{% set lookback = var('lookback_days', 2) %}
select
    order_date,
    count(*) as orders,
    count(*) filter (where status = 'returned') as returned_orders,
    sum(case when status <> 'returned' then amount else 0 end) as revenue
from {{ ref('fct_orders') }}
{% if is_incremental() %}
where order_date >= (select max(order_date) from {{ this }}) - interval {{ lookback }} day
{% endif %}
group by order_date
