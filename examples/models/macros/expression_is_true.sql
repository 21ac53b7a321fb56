{# A generic test (as dbt_utils spells it): the rows where the expression is not true fail. #}
{% test expression_is_true(model, expression, column_name=None) %}
select *
from {{ model }}
where not ({% if column_name %}{{ column_name }} {% endif %}{{ expression }})
{% endtest %}
