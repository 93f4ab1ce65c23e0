<?php
// PHP's memcached extension (libmemcached) in its libketama-compatible mode, driven by the interop tests.
// usage: php php-memcached.php place|write|read SERVERS_JSON [ascii|binary] < keys (one per line, UTF-8)
//   SERVERS_JSON: [[host, port, weight], ...] in the application's order.
//   ascii|binary: the protocol (default ascii). In ASCII mode php-memcached refuses keys with non-ASCII bytes
//   ("CHARACTERS OUT OF RANGE"); the binary protocol accepts them. Placement does not depend on the protocol.
//   place: prints the position of the server libmemcached picks for each key (Memcached::getServerByKey).
//   write: sets every key to "value:<key>"; prints "stored N".
//   read:  getMulti of all keys; prints "HIT <value>" or "MISS" per key, in input order.
[$script, $command, $serversJson, $protocol] = $argv + [null, null, null, 'ascii'];
if ($serversJson === null || ($protocol !== 'ascii' && $protocol !== 'binary')) {
    fwrite(STDERR, "usage: php php-memcached.php place|write|read SERVERS_JSON [ascii|binary]\n");
    exit(2);
}
$servers = json_decode($serversJson, true, 512, JSON_THROW_ON_ERROR);
$memcached = new Memcached();
// The setting under test: MD5 key hash + weighted ketama continuum (MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED).
$memcached->setOption(Memcached::OPT_LIBKETAMA_COMPATIBLE, true);
$memcached->setOption(Memcached::OPT_COMPRESSION, false);
$memcached->setOption(Memcached::OPT_BINARY_PROTOCOL, $protocol === 'binary');
$positionOf = [];
foreach ($servers as $position => [$host, $port, $weight]) {
    $memcached->addServer($host, $port, $weight);
    $positionOf["$host:$port"] = $position;
}
$keys = [];
while (($line = fgets(STDIN)) !== false) {
    $keys[] = rtrim($line, "\n");
}

switch ($command) {
    case 'place':
        foreach ($keys as $key) {
            $server = $memcached->getServerByKey($key);
            echo $positionOf[$server['host'] . ':' . $server['port']], "\n";
        }
        break;
    case 'write':
        foreach ($keys as $key) {
            if (!$memcached->set($key, "value:$key")) {
                fwrite(STDERR, "php-memcached could not set key $key: " . $memcached->getResultMessage() . "\n");
                exit(1);
            }
        }
        echo 'stored ', count($keys), "\n";
        break;
    case 'read':
        $found = $memcached->getMulti($keys);
        if ($found === false) {
            fwrite(STDERR, 'php-memcached getMulti failed: ' . $memcached->getResultMessage() . "\n");
            exit(1);
        }
        foreach ($keys as $key) {
            echo array_key_exists($key, $found) ? "HIT {$found[$key]}\n" : "MISS\n";
        }
        break;
    default:
        fwrite(STDERR, "unknown command $command\n");
        exit(2);
}
