# Alembic settings of this migration folder (kolba.ext.migrate).
#
# The database URL is NOT set here: it is the app's SQLALCHEMY_DATABASE_URI.
# Options of the [alembic] section (file_template, timezone,
# truncate_slug_length, revision_environment, post-write hooks ...) apply
# to `kolba db` commands. Logging sections ([loggers], [handlers],
# [formatters]), when added, replace Kolba's default: Alembic's progress on
# standard error.

[alembic]
# file_template = %%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s
