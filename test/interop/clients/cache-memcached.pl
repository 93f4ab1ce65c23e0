#!/usr/bin/perl
# Perl Cache::Memcached (Debian's libcache-memcached-perl) driven by the interop tests.
# usage: cache-memcached.pl place|write|read SERVERS_JSON < keys (one per line, UTF-8)
#   SERVERS_JSON: [[host, port, weight], ...] in the application's order; weight 1 is passed as a plain "host:port".
#   place: prints the position of the server Cache::Memcached picks for each key (its own _hashfunc and bucket list).
#   write: sets every key to "value:<key>"; prints "stored N".
#   read:  get_multi of all keys; prints "HIT <value>" or "MISS" per key, in input order.
use strict;
use warnings;
use Cache::Memcached;
use JSON::PP;

my ($command, $servers_json) = @ARGV;
die "usage: $0 place|write|read SERVERS_JSON\n" unless defined $servers_json;
my $servers = JSON::PP->new->decode($servers_json);
my @server_list;
my %position_of;
for my $i (0 .. $#$servers) {
    my ($host, $port, $weight) = @{ $servers->[$i] };
    my $address = "$host:$port";
    push @server_list, $weight == 1 ? $address : [$address, $weight];
    $position_of{$address} = $i;
}
# Keys stay byte strings (no decoding): the bytes hashed and sent are the UTF-8 bytes, as in an application that
# reads its keys from a UTF-8 source.
my @keys = map { chomp; $_ } <STDIN>;
# Timeouts well above the defaults (0.25 s connect, 1 s select): on a loaded test machine a live server must not be
# taken for a dead one, which would move keys where the test does not expect them. A dead server refuses at once.
my $memd = Cache::Memcached->new({ servers => \@server_list, compress_threshold => 0, connect_timeout => 5, select_timeout => 10 });

if ($command eq 'place') {
    for my $key (@keys) {
        my $hash = Cache::Memcached::_hashfunc($key);
        my $bucket = $memd->{buckets}[$hash % $memd->{bucketcount}];
        my $address = ref $bucket ? $bucket->[0] : $bucket;
        print $position_of{$address}, "\n";
    }
} elsif ($command eq 'write') {
    my $stored = 0;
    for my $key (@keys) {
        $memd->set($key, "value:$key") or die "Cache::Memcached could not set key $key\n";
        $stored++;
    }
    print "stored $stored\n";
} elsif ($command eq 'read') {
    my $found = $memd->get_multi(@keys);
    for my $key (@keys) {
        print defined $found->{$key} ? "HIT $found->{$key}\n" : "MISS\n";
    }
} else {
    die "unknown command $command\n";
}
