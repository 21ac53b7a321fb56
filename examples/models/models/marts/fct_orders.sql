{{ config(materialized='incremental', unique_key='order_id', incremental_strategy='merge', on_schema_change='fail') }}

-- One row per order with its latest status and payments. Incremental: a run takes the orders whose status changed
-- since the last run and merges them in by order_id (new orders inserted, changed ones updated).
with orders as (
    select * from {{ ref('stg_orders') }}
),
status as (
    select * from {{ ref('int_order_status') }}
),
payments as (
    select * from {{ ref('int_order_payments') }}
)
select
    orders.order_id,
    orders.customer_id,
    orders.order_date,
    status.status,
    status.updated_at,
    {% for method in var('payment_methods') -%}
    coalesce(payments.{{ method }}_amount, 0) as {{ method }}_amount,
    {% endfor -%}
    coalesce(payments.payments, 0) as payments,
    coalesce(payments.amount, 0) as amount
from orders
join status on orders.order_id = status.order_id
left join payments on orders.order_id = payments.order_id
{% if is_incremental() %}
where status.updated_at > (select max(updated_at) from {{ this }})
{% endif %}
