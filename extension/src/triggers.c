/*
 * Trigger functions that keep the default cache table in step with a table's rows, through the same write path as
 * the memcache_* functions (so they are transactional too: a rolled-back change never reaches memcached).
 *
 *   memcache_write_through(key_column, value_column [, expire])
 *     INSERT and UPDATE store the row's value under its key (set); an UPDATE that changes the key deletes the old
 *     key; DELETE deletes the key. A NULL value deletes the key (memcached cannot store NULL). The value is sent as
 *     its bytes for bytea, as UTF-8 text for every other type (its output function's text). `expire` is an interval
 *     ('3600', '1 hour'); without it, the cache table's expire option.
 *   memcache_invalidate(key_column)
 *     any change deletes the key (both keys when an UPDATE changes it), so that readers miss and reload.
 *
 * Both are row-level triggers, BEFORE or AFTER (AFTER is the natural place: the row is final); they return the row
 * PostgreSQL handed them. The key is the key column's text; a NULL key is an ERROR.
 */
#include "pymcache_fdw.h"

#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/rel.h"

PG_FUNCTION_INFO_V1(pymcache_fdw_write_through);
PG_FUNCTION_INFO_V1(pymcache_fdw_invalidate);

/* What the trigger's arguments say. */
typedef struct TriggerSetup
{
	const char *function;
	int			key_column;	  /* attribute number */
	int			value_column; /* attribute number, 0 for memcache_invalidate */
	PymcExpire	expire;
} TriggerSetup;

/* The attribute number of column `name` of the trigger's table; an ERROR naming it otherwise. */
static int
column_number(TriggerData *data, const char *function, const char *name)
{
	int number = SPI_fnumber(RelationGetDescr(data->tg_relation), name);

	if (number <= 0)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
						errmsg("%s: table \"%s\" has no column \"%s\" (trigger \"%s\")", function,
							   RelationGetRelationName(data->tg_relation), name, data->tg_trigger->tgname),
						errhint("The trigger's arguments name the key column, then the value column, then optionally "
								"an expiration: CREATE TRIGGER ... EXECUTE FUNCTION %s('id', 'data', '1 hour').",
								function)));
	return number;
}

static TriggerSetup
trigger_setup(FunctionCallInfo fcinfo, const char *function, bool with_value)
{
	TriggerData *data = (TriggerData *) fcinfo->context;
	Trigger		*trigger;
	TriggerSetup setup = {function, 0, 0, {false, false, 0}};
	int			 wanted_min = with_value ? 2 : 1;
	int			 wanted_max = with_value ? 3 : 1;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED), errmsg("%s: not called by a trigger", function),
				 errhint("Use it in CREATE TRIGGER ... FOR EACH ROW EXECUTE FUNCTION %s(...).", function)));
	trigger = data->tg_trigger;
	if (!TRIGGER_FIRED_FOR_ROW(data->tg_event))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
						errmsg("%s: trigger \"%s\" must be FOR EACH ROW", function, trigger->tgname),
						errhint("Each row's key is written: CREATE TRIGGER ... FOR EACH ROW EXECUTE FUNCTION %s(...).",
								function)));
	if (trigger->tgnargs < wanted_min || trigger->tgnargs > wanted_max)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%s: trigger \"%s\" has %d argument(s)", function, trigger->tgname, trigger->tgnargs),
						with_value ? errhint("Give the key column, the value column and optionally an expiration: "
											 "EXECUTE FUNCTION %s('id', 'data', '1 hour').",
											 function) :
									 errhint("Give the key column: EXECUTE FUNCTION %s('id').", function)));
	setup.key_column = column_number(data, function, trigger->tgargs[0]);
	if (with_value)
		setup.value_column = column_number(data, function, trigger->tgargs[1]);
	if (with_value && trigger->tgnargs == 3)
	{
		Datum interval = DirectFunctionCall3(interval_in, CStringGetDatum(trigger->tgargs[2]),
											 ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
		char *what = psprintf("%s: the expiration of trigger \"%s\"", function, trigger->tgname);

		setup.expire.present = true;
		setup.expire.seconds = pymc_interval_seconds(interval, what);
	}
	return setup;
}

/* The key of `tuple` (the key column's text, converted to UTF-8); a NULL key is an ERROR. */
static char *
row_key(TriggerData *data, TriggerSetup *setup, HeapTuple tuple)
{
	char *key = SPI_getvalue(tuple, RelationGetDescr(data->tg_relation), setup->key_column);

	if (key == NULL)
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("%s: the key column \"%s\" of a row of \"%s\" is NULL", setup->function,
							   data->tg_trigger->tgargs[0], RelationGetRelationName(data->tg_relation)),
						errhint("memcached has no NULL key: give the column NOT NULL, or leave such rows out with a "
								"WHEN condition on the trigger.")));
	return pg_server_to_any(key, strlen(key), PG_UTF8);
}

/* The value of `tuple` as the bytes to store (bytea as is, anything else as UTF-8 text); NULL for a NULL value. */
static struct varlena *
row_value(TriggerData *data, TriggerSetup *setup, HeapTuple tuple)
{
	TupleDesc desc = RelationGetDescr(data->tg_relation);
	bool	  isnull;
	Datum	  datum = SPI_getbinval(tuple, desc, setup->value_column, &isnull);
	char	 *text;

	if (isnull)
		return NULL;
	if (SPI_gettypeid(desc, setup->value_column) == BYTEAOID)
		return PG_DETOAST_DATUM_PACKED(datum);
	text = SPI_getvalue(tuple, desc, setup->value_column);
	return (struct varlena *) cstring_to_text(pg_server_to_any(text, strlen(text), PG_UTF8));
}

static PyObject *
key_object(const char *key)
{
	PyObject *object = PyUnicode_FromString(key);

	if (object == NULL)
		pymc_report_python_error(ERROR);
	return object;
}

static void
delete_key(PyObject *table, const char *key)
{
	pymc_delete_call(table, key_object(key), 0);
}

static void
store_row(PyObject *table, TriggerSetup *setup, const char *key, struct varlena *value)
{
	PyObject *key_python;
	PyObject *bytes;

	if (value == NULL)
	{
		delete_key(table, key);
		return;
	}
	key_python = key_object(key);
	bytes = PyBytes_FromStringAndSize(VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value));
	if (bytes == NULL)
	{
		Py_DECREF(key_python);
		pymc_report_python_error(ERROR);
	}
	pymc_store_call(table, "set", key_python, bytes, setup->expire);
}

/* The row a row-level trigger returns: the new row for INSERT and UPDATE, the old one for DELETE. */
static Datum
returned_row(TriggerData *data)
{
	if (TRIGGER_FIRED_BY_UPDATE(data->tg_event))
		return PointerGetDatum(data->tg_newtuple);
	return PointerGetDatum(data->tg_trigtuple);
}

Datum
pymcache_fdw_write_through(PG_FUNCTION_ARGS)
{
	TriggerSetup	setup = trigger_setup(fcinfo, "memcache_write_through", true);
	TriggerData	   *data = (TriggerData *) fcinfo->context;
	PyObject	   *table;
	char		   *key;
	char		   *old_key = NULL;
	struct varlena *value = NULL;

	if (TRIGGER_FIRED_BY_DELETE(data->tg_event))
	{
		key = row_key(data, &setup, data->tg_trigtuple);
		table = pymc_default_table(PYMC_DELETE);
		delete_key(table, key);
		return returned_row(data);
	}
	if (TRIGGER_FIRED_BY_UPDATE(data->tg_event))
	{
		old_key = row_key(data, &setup, data->tg_trigtuple);
		key = row_key(data, &setup, data->tg_newtuple);
		value = row_value(data, &setup, data->tg_newtuple);
	}
	else
	{
		key = row_key(data, &setup, data->tg_trigtuple);
		value = row_value(data, &setup, data->tg_trigtuple);
	}
	if ((old_key != NULL && strcmp(old_key, key) != 0) || value == NULL)
		(void) pymc_default_table(PYMC_DELETE);
	table = pymc_default_table(PYMC_WRITE);
	if (old_key != NULL && strcmp(old_key, key) != 0)
		delete_key(table, old_key);
	store_row(table, &setup, key, value);
	return returned_row(data);
}

Datum
pymcache_fdw_invalidate(PG_FUNCTION_ARGS)
{
	TriggerSetup setup = trigger_setup(fcinfo, "memcache_invalidate", false);
	TriggerData *data = (TriggerData *) fcinfo->context;
	PyObject	*table;
	char		*key = row_key(data, &setup, data->tg_trigtuple);
	char		*new_key = NULL;

	if (TRIGGER_FIRED_BY_UPDATE(data->tg_event))
		new_key = row_key(data, &setup, data->tg_newtuple);
	table = pymc_default_table(PYMC_DELETE);
	delete_key(table, key);
	if (new_key != NULL && strcmp(new_key, key) != 0)
		delete_key(table, new_key);
	return returned_row(data);
}
