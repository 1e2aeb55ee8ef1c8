<%!
from kolba import current_app
%>"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
${imports if imports else ""}
# Revision identifiers, read by Alembic.
revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}


def upgrade(engine_name: str) -> None:
    globals()[f"upgrade_{engine_name}"]()


def downgrade(engine_name: str) -> None:
    globals()[f"downgrade_{engine_name}"]()
% for name in current_app.extensions["migrate"].engine_names():


def upgrade_${name}() -> None:
    """Upgrade the ${repr(name) if name else "default"} database."""
    ${context.get(f"{name}_upgrades", "pass")}


def downgrade_${name}() -> None:
    """Downgrade the ${repr(name) if name else "default"} database."""
    ${context.get(f"{name}_downgrades", "pass")}
% endfor
