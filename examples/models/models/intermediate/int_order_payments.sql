-- Payments per order, with one column per payment method.
select
    order_id,
    count(*) as payments,
    {% for method in var('payment_methods') -%}
    sum(case when payment_method = '{{ method }}' then amount else 0 end) as {{ method }}_amount,
    {% endfor -%}
    sum(amount) as amount
from {{ ref('stg_payments') }}
group by order_id
