/*
 * Options and wrapper instances.
 *
 * multicorn2 3.x facts kept here (src/multicorn.c, src/python.c there):
 * - the validator refuses `wrapper` on a foreign table and requires it on the server, importing the class
 *   at CREATE/ALTER SERVER so a missing module or class fails early;
 * - the options a wrapper receives are the table's, then the server's, then the user mapping's (the current
 *   user's, else PUBLIC's), merged into one dict in that order (a later one wins), minus `wrapper`;
 * - columns: an OrderedDict name -> ColumnDefinition(name, type oid, typmod, type with modifier, type
 *   without modifier, column options);
 * - one instance per foreign table per backend, rebuilt when the merged options or the columns change;
 * - every lookup of the instance starts the Python-side transaction: begin(serializable) once per
 *   transaction, then sub_begin(level) up to the current savepoint level.
 */
#include "host.h"

#include "access/reloptions.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_user_mapping.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(multicorn_validator);

Datum
multicorn_validator(PG_FUNCTION_ARGS)
{
	List	   *options = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid			catalog = PG_GETARG_OID(1);
	char	   *class_name = NULL;
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "wrapper") != 0)
			continue;
		/* Only the server may name the class (a table owner must not pick code to run). */
		if (catalog == ForeignTableRelationId)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("Cannot set the wrapper class on the table"),
					 errhint("Set it on the server")));
		class_name = defGetString(def);
	}
	if (catalog == ForeignServerRelationId)
	{
		PyObject   *wrapper_class;

		if (class_name == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
					 errmsg("The wrapper parameter is mandatory, specify a valid class name")));
		wrapper_class = host_get_class(class_name);
		Py_DECREF(wrapper_class);
	}
	PG_RETURN_VOID();
}

/* The user mapping's options for (current user or PUBLIC, server); NIL when there is none. */
static List *
user_mapping_options(Oid serverid)
{
	HeapTuple	tuple;
	Datum		datum;
	bool		isnull;
	List	   *options = NIL;

	tuple = SearchSysCache2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(GetUserId()), ObjectIdGetDatum(serverid));
	if (!HeapTupleIsValid(tuple))
		tuple = SearchSysCache2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(InvalidOid), ObjectIdGetDatum(serverid));
	if (!HeapTupleIsValid(tuple))
		return NIL;
	datum = SysCacheGetAttr(USERMAPPINGUSERSERVER, tuple, Anum_pg_user_mapping_umoptions, &isnull);
	if (!isnull)
		options = untransformRelOptions(datum);
	ReleaseSysCache(tuple);
	return options;
}

List *
host_merged_options(Oid ftid)
{
	ForeignTable *table = GetForeignTable(ftid);
	ForeignServer *server = GetForeignServer(table->serverid);
	List	   *options = NIL;

	options = list_concat(options, table->options);
	options = list_concat(options, server->options);
	options = list_concat(options, user_mapping_options(table->serverid));
	return options;
}

/* One text that changes whenever the merged options or the column definitions change. */
static char *
instance_signature(List *options, TupleDesc desc, Oid relid)
{
	StringInfoData text;
	ListCell   *lc;
	int			i;

	initStringInfo(&text);
	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		appendStringInfo(&text, "%s\x1f%s\x1e", def->defname, defGetString(def));
	}
	appendStringInfoChar(&text, '\x1d');
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped)
			continue;
		appendStringInfo(&text, "%s\x1f%u\x1f%d\x1f", NameStr(att->attname), att->atttypid, att->atttypmod);
		foreach(lc, GetForeignColumnOptions(relid, att->attnum))
		{
			DefElem    *def = (DefElem *) lfirst(lc);

			appendStringInfo(&text, "%s=%s\x1f", def->defname, defGetString(def));
		}
		appendStringInfoChar(&text, '\x1e');
	}
	return text.data;
}

/* OrderedDict name -> multicorn.ColumnDefinition, in column order. */
static PyObject *
columns_to_python(TupleDesc desc, Oid relid)
{
	PyObject   *column_class = host_multicorn_attr("ColumnDefinition");
	PyObject   *ordered_dict = host_multicorn_attr("OrderedDict");
	PyObject   *columns = PyObject_CallNoArgs(ordered_dict);
	int			i;

	if (columns == NULL)
		host_raise_python_error();
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		PyObject   *name,
				   *options,
				   *type_name,
				   *base_type_name,
				   *column;

		if (att->attisdropped)
			continue;
		name = host_cstring_to_python(NameStr(att->attname));
		type_name = host_cstring_to_python(format_type_with_typemod(att->atttypid, att->atttypmod));
		base_type_name = host_cstring_to_python(format_type_be(att->atttypid));
		options = host_options_to_python(GetForeignColumnOptions(relid, att->attnum));
		column = (name && type_name && base_type_name && options) ?
			PyObject_CallFunction(column_class, "OIiOOO", name, (unsigned int) att->atttypid, (int) att->atttypmod,
								  type_name, base_type_name, options) : NULL;
		if (column == NULL || PyObject_SetItem(columns, name, column) < 0)
		{
			Py_XDECREF(name);
			Py_XDECREF(type_name);
			Py_XDECREF(base_type_name);
			Py_XDECREF(options);
			Py_XDECREF(column);
			Py_DECREF(columns);
			host_raise_python_error();
		}
		Py_DECREF(name);
		Py_DECREF(type_name);
		Py_DECREF(base_type_name);
		Py_DECREF(options);
		Py_DECREF(column);
	}
	return columns;
}

typedef struct InstanceEntry
{
	Oid			ftid;			/* hash key */
	PyObject   *instance;		/* NULL until built */
	char	   *signature;		/* malloc'd in CacheMemoryContext */
	int			xact_depth;		/* 0: not in the current transaction; n: begin + sub_begin up to level n */
	bool		checked;		/* signature compared since the last catalog change that could alter it */
	Oid			checked_user;	/* the user it was compared for (the user mapping depends on it) */
} InstanceEntry;

static HTAB *instances = NULL;

/*
 * The signature (merged options + columns) costs catalog lookups and a string build; computing it on every
 * planning and every scan was a large part of a one-key SELECT. It can only change after a catalog change
 * to a foreign table, server, user mapping or the table's columns, all of which send invalidations: those
 * mark entries unchecked, and only an unchecked entry computes and compares its signature again.
 */
static void
mark_all_unchecked(void)
{
	HASH_SEQ_STATUS status;
	InstanceEntry *entry;

	if (instances == NULL)
		return;
	hash_seq_init(&status, instances);
	while ((entry = (InstanceEntry *) hash_seq_search(&status)) != NULL)
		entry->checked = false;
}

static void
on_syscache_invalidation(Datum arg, int cacheid, uint32 hashvalue)
{
	mark_all_unchecked();
}

static void
on_relcache_invalidation(Datum arg, Oid relid)
{
	InstanceEntry *entry;

	if (!OidIsValid(relid))
	{
		mark_all_unchecked();
		return;
	}
	if (instances != NULL && (entry = hash_search(instances, &relid, HASH_FIND, NULL)) != NULL)
		entry->checked = false;
}

static HTAB *
instance_table(void)
{
	if (instances == NULL)
	{
		HASHCTL		ctl;

		MemSet(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(InstanceEntry);
		ctl.hcxt = CacheMemoryContext;
		instances = hash_create("multicorn wrapper instances", 32, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		/* Table options, server options, user mappings; column names, types and options (relcache). */
		CacheRegisterSyscacheCallback(FOREIGNTABLEREL, on_syscache_invalidation, (Datum) 0);
		CacheRegisterSyscacheCallback(FOREIGNSERVEROID, on_syscache_invalidation, (Datum) 0);
		CacheRegisterSyscacheCallback(USERMAPPINGOID, on_syscache_invalidation, (Datum) 0);
		CacheRegisterSyscacheCallback(USERMAPPINGUSERSERVER, on_syscache_invalidation, (Datum) 0);
		CacheRegisterRelcacheCallback(on_relcache_invalidation, (Datum) 0);
	}
	return instances;
}

static void
begin_python_transaction(InstanceEntry *entry)
{
	int			level = GetCurrentTransactionNestLevel();

	if (entry->xact_depth <= 0)
	{
		PyObject   *args = Py_BuildValue("(i)", IsolationIsSerializable() ? 1 : 0);

		host_call_method_void(entry->instance, "begin", args);
		Py_DECREF(args);
		entry->xact_depth = 1;
	}
	while (entry->xact_depth < level)
	{
		PyObject   *args;

		entry->xact_depth++;
		args = Py_BuildValue("(i)", entry->xact_depth);
		host_call_method_void(entry->instance, "sub_begin", args);
		Py_DECREF(args);
	}
}

PyObject *
host_instance_for(Oid ftid)
{
	MemoryContext scratch;
	MemoryContext oldcontext;
	InstanceEntry *entry;
	bool		found;
	List	   *options;
	Relation	rel;
	char	   *signature;
	Oid			user = GetUserId();

	host_python_init();
	entry = hash_search(instance_table(), &ftid, HASH_FIND, NULL);
	if (entry != NULL && entry->instance != NULL && entry->checked && entry->checked_user == user)
	{
		begin_python_transaction(entry);
		return entry->instance;
	}

	scratch = AllocSetContextCreate(CurrentMemoryContext, "multicorn instance lookup", ALLOCSET_SMALL_SIZES);
	oldcontext = MemoryContextSwitchTo(scratch);
	options = host_merged_options(ftid);
	rel = table_open(ftid, AccessShareLock);
	signature = instance_signature(options, RelationGetDescr(rel), ftid);

	entry = hash_search(instance_table(), &ftid, HASH_ENTER, &found);
	if (!found)
	{
		entry->instance = NULL;
		entry->signature = NULL;
		entry->xact_depth = 0;
		entry->checked = false;
	}
	/*
	 * Checked as of now. An invalidation arriving later (even while the code below opens the table or runs
	 * the constructor) clears it again, so the next lookup compares once more.
	 */
	entry->checked = true;
	entry->checked_user = user;
	if (entry->instance == NULL || entry->signature == NULL || strcmp(entry->signature, signature) != 0)
	{
		PyObject   *python_options = host_options_to_python(options);
		PyObject   *columns;
		PyObject   *wrapper_name;
		PyObject   *wrapper_class;
		PyObject   *instance;
		const char *class_name;

		/* The old instance (if any) goes; the transaction state starts again with the new one. */
		Py_CLEAR(entry->instance);
		if (entry->signature != NULL)
			pfree(entry->signature);
		entry->signature = NULL;
		entry->xact_depth = 0;

		wrapper_name = PyDict_GetItemString(python_options, "wrapper");	/* borrowed */
		if (wrapper_name == NULL)
		{
			Py_DECREF(python_options);
			ereport(ERROR,
					(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
					 errmsg("The wrapper parameter is mandatory, specify a valid class name"),
					 errdetail("Foreign table \"%s\" has no `wrapper` option on its server.",
							   RelationGetRelationName(rel))));
		}
		class_name = PyUnicode_AsUTF8(wrapper_name);
		if (class_name == NULL)
		{
			Py_DECREF(python_options);
			host_raise_python_error();
		}
		PG_TRY();
		{
			wrapper_class = host_get_class(class_name);
		}
		PG_CATCH();
		{
			Py_DECREF(python_options);
			PG_RE_THROW();
		}
		PG_END_TRY();
		if (PyDict_DelItemString(python_options, "wrapper") < 0)
			PyErr_Clear();
		PG_TRY();
		{
			columns = columns_to_python(RelationGetDescr(rel), ftid);
		}
		PG_CATCH();
		{
			Py_DECREF(python_options);
			Py_DECREF(wrapper_class);
			PG_RE_THROW();
		}
		PG_END_TRY();
		instance = PyObject_CallFunctionObjArgs(wrapper_class, python_options, columns, NULL);
		Py_DECREF(python_options);
		Py_DECREF(columns);
		Py_DECREF(wrapper_class);
		if (instance == NULL)
			host_raise_python_error();
		entry->instance = instance;
		entry->signature = MemoryContextStrdup(CacheMemoryContext, signature);
	}
	table_close(rel, AccessShareLock);
	MemoryContextSwitchTo(oldcontext);
	MemoryContextDelete(scratch);

	begin_python_transaction(entry);
	return entry->instance;
}

/*
 * Transaction end, for every instance touched in this transaction. `may_fail`: the event still allows
 * an ERROR (pre-commit); after commit or during abort a Python exception is reported as a WARNING.
 */
void
host_xact_event(bool may_fail, const char *method, bool reset_depth)
{
	HASH_SEQ_STATUS status;
	InstanceEntry *entry;

	if (instances == NULL || !Py_IsInitialized())
		return;
	hash_seq_init(&status, instances);
	while ((entry = (InstanceEntry *) hash_seq_search(&status)) != NULL)
	{
		PyObject   *result;

		if (entry->xact_depth == 0 || entry->instance == NULL)
			continue;
		if (reset_depth)
			entry->xact_depth = 0;
		result = PyObject_CallMethodNoArgs(entry->instance, host_name(method));
		if (result != NULL)
		{
			Py_DECREF(result);
			continue;
		}
		if (may_fail)
		{
			hash_seq_term(&status);
			host_raise_python_error();
		}
		host_report_python_error_at(WARNING);
	}
}

void
host_subxact_event(const char *method, int level)
{
	HASH_SEQ_STATUS status;
	InstanceEntry *entry;
	bool		may_fail = strcmp(method, "sub_commit") == 0;

	if (instances == NULL || !Py_IsInitialized())
		return;
	hash_seq_init(&status, instances);
	while ((entry = (InstanceEntry *) hash_seq_search(&status)) != NULL)
	{
		PyObject   *result;

		if (entry->instance == NULL || entry->xact_depth < level)
			continue;
		entry->xact_depth--;
		result = PyObject_CallMethod(entry->instance, method, "(i)", level);
		if (result != NULL)
		{
			Py_DECREF(result);
			continue;
		}
		if (may_fail)
		{
			hash_seq_term(&status);
			host_raise_python_error();
		}
		host_report_python_error_at(WARNING);
	}
}

/* IMPORT FOREIGN SCHEMA: wrapper_class.import_schema(...) -> TableDefinitions -> CREATE statements. */
List *
host_import_schema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	ForeignServer *server = GetForeignServer(serverOid);
	List	   *server_options = NIL;
	char	   *class_name = NULL;
	const char *restriction = NULL;
	PyObject   *wrapper_class,
			   *srv_options,
			   *import_options,
			   *restricts,
			   *tables,
			   *iterator,
			   *item;
	List	   *commands = NIL;
	ListCell   *lc;

	foreach(lc, server->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "wrapper") == 0)
			class_name = defGetString(def);
		else
			server_options = lappend(server_options, def);
	}
	server_options = list_concat(server_options, user_mapping_options(serverOid));
	if (class_name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("The wrapper parameter is mandatory, specify a valid class name")));
	switch (stmt->list_type)
	{
		case FDW_IMPORT_SCHEMA_LIMIT_TO:
			restriction = "limit";
			break;
		case FDW_IMPORT_SCHEMA_EXCEPT:
			restriction = "except";
			break;
		case FDW_IMPORT_SCHEMA_ALL:
			break;
	}

	wrapper_class = host_get_class(class_name);
	srv_options = host_options_to_python(server_options);
	import_options = host_options_to_python(stmt->options);
	restricts = PyList_New(0);
	foreach(lc, stmt->table_list)
	{
		RangeVar   *rv = (RangeVar *) lfirst(lc);
		PyObject   *name = host_cstring_to_python(rv->relname);

		if (name == NULL || PyList_Append(restricts, name) < 0)
			PyErr_Print();
		Py_XDECREF(name);
	}
	tables = PyObject_CallMethod(wrapper_class, "import_schema", "(sOOzO)", stmt->remote_schema, srv_options,
								 import_options, restriction, restricts);
	Py_DECREF(wrapper_class);
	Py_DECREF(srv_options);
	Py_DECREF(import_options);
	Py_DECREF(restricts);
	if (tables == NULL)
		host_raise_python_error();
	iterator = PyObject_GetIter(tables);
	Py_DECREF(tables);
	if (iterator == NULL)
		host_raise_python_error();
	while ((item = PyIter_Next(iterator)) != NULL)
	{
		PyObject   *statement = PyObject_CallMethod(item, "to_statement", "(ss)", stmt->local_schema,
													server->servername);
		const char *text;

		Py_DECREF(item);
		text = statement != NULL ? PyUnicode_AsUTF8(statement) : NULL;
		if (text == NULL)
		{
			Py_XDECREF(statement);
			Py_DECREF(iterator);
			host_raise_python_error();
		}
		commands = lappend(commands, pg_any_to_server(pstrdup(text), strlen(text), PG_UTF8));
		Py_DECREF(statement);
	}
	Py_DECREF(iterator);
	host_check_python();
	return commands;
}
