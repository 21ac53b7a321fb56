with customer_orders as (
    select
        customer_id,
        min(order_date) as first_order,
        max(order_date) as most_recent_order,
        count(*) as number_of_orders,
        sum(case when status <> 'returned' then amount else 0 end) as lifetime_value
    from {{ ref('fct_orders') }}
    group by customer_id
)
select
    customers.customer_id,
    customers.first_name,
    customers.last_name,
    customers.email,
    customer_orders.first_order,
    customer_orders.most_recent_order,
    coalesce(customer_orders.number_of_orders, 0) as number_of_orders,
    coalesce(customer_orders.lifetime_value, 0) as lifetime_value
from {{ ref('stg_customers') }} as customers
left join customer_orders on customers.customer_id = customer_orders.customer_id
