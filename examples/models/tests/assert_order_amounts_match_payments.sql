-- An order's amount is the sum of its payments: the orders where it is not fail.
select orders.order_id, orders.amount, sum(payments.amount) as paid
from {{ ref('fct_orders') }} as orders
join {{ ref('stg_payments') }} as payments on orders.order_id = payments.order_id
group by orders.order_id, orders.amount
having abs(orders.amount - sum(payments.amount)) > 0.001
