select
    id as payment_id,
    order_id,
    payment_method,
    {{ cents_to_dollars('amount') }} as amount,
    paid_at
from {{ source('shop', 'raw_payments') }}
where paid_at <= cast('{{ var("as_of") }}' as date)
