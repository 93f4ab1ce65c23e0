/*
 * The per-table wrapper instance cache (multicorn2 3.x, src/python.c getCacheEntry there):
 *
 * - a wrapper is built as Class(options, columns): options the merged options (options.c) minus `wrapper`,
 *   columns an OrderedDict name -> ColumnDefinition(name, type oid, typmod, type with modifier, type
 *   without modifier, column options);
 * - one instance per foreign table per backend, rebuilt when the merged options or the columns change;
 * - every lookup of the instance starts the Python-side transaction (begin, sub_begin: xact.c).
 */
#include "host.h"

#include "access/table.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

/* One text that changes whenever the merged options or the column definitions change. */
static char *
instance_signature(List *options, TupleDesc desc, Oid relid)
{
	StringInfoData text;
	ListCell	  *lc;
	int			   i;

	initStringInfo(&text);
	foreach(lc, options)
	{
		DefElem *def = (DefElem *) lfirst(lc);

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
			DefElem *def = (DefElem *) lfirst(lc);

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
	PyObject *column_class = host_multicorn_attr("ColumnDefinition");
	PyObject *ordered_dict = host_multicorn_attr("OrderedDict");
	PyObject *columns = PyObject_CallNoArgs(ordered_dict);
	int		  i;

	if (columns == NULL)
		host_raise_python_error();
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		PyObject		 *name, *options, *type_name, *base_type_name, *column;

		if (att->attisdropped)
			continue;
		name = host_cstring_to_python(NameStr(att->attname));
		type_name = host_cstring_to_python(format_type_with_typemod(att->atttypid, att->atttypmod));
		base_type_name = host_cstring_to_python(format_type_be(att->atttypid));
		options = host_options_to_python(GetForeignColumnOptions(relid, att->attnum));
		column = (name && type_name && base_type_name && options) ?
					 PyObject_CallFunction(column_class, "OIiOOO", name, (unsigned int) att->atttypid,
										   (int) att->atttypmod, type_name, base_type_name, options) :
					 NULL;
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
	HostInstance   *entry;

	if (instances == NULL)
		return;
	hash_seq_init(&status, instances);
	while ((entry = (HostInstance *) hash_seq_search(&status)) != NULL)
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
	HostInstance *entry;

	if (!OidIsValid(relid))
	{
		mark_all_unchecked();
		return;
	}
	if (instances != NULL && (entry = hash_search(instances, &relid, HASH_FIND, NULL)) != NULL)
		entry->checked = false;
}

/* The cache, or NULL before the first instance (xact.c walks it at transaction ends). */
HTAB *
host_instances(void)
{
	return instances;
}

static HTAB *
instance_table(void)
{
	if (instances == NULL)
	{
		HASHCTL ctl;

		MemSet(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(HostInstance);
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

/*
 * The wrapper instance of foreign table `ftid` (a borrowed reference), built or rebuilt when needed, its
 * Python-side transaction started (xact.c).
 */
PyObject *
host_instance_for(Oid ftid)
{
	MemoryContext scratch;
	MemoryContext oldcontext;
	HostInstance *entry;
	bool		  found;
	List		 *options;
	Relation	  rel;
	char		 *signature;
	Oid			  user = GetUserId();

	host_python_init();
	entry = hash_search(instance_table(), &ftid, HASH_FIND, NULL);
	if (entry != NULL && entry->instance != NULL && entry->checked && entry->checked_user == user)
	{
		host_xact_begin(entry);
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

		wrapper_name = PyDict_GetItemString(python_options, "wrapper"); /* borrowed */
		if (wrapper_name == NULL)
		{
			Py_DECREF(python_options);
			ereport(ERROR, (errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
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

	host_xact_begin(entry);
	return entry->instance;
}
