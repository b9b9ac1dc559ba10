// Millrace's console: read-only views over the server's own Kinesis and Firehose APIs and its /metrics. Plain
// JavaScript and SVG, no build step. The server serves it only when signatures are not verified (the page sends a
// SigV4-shaped header that names no key, as the emulators accept, in the default account and region).
'use strict';

const $ = (selector) => document.querySelector(selector);
const HISTORY = 60; // points of the throughput chart, one per poll
const POLL_MILLIS = 2000;
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
const state = { stream: null, iterator: null, rates: new Map(), last: null, history: new Map(), lag: new Map() };

function amzDate() {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

async function call(target, action, body) {
  const response = await fetch('/', {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': `${target}.${action}`,
      'X-Amz-Date': amzDate(),
      Authorization: 'AWS4-HMAC-SHA256 Credential=console///kinesis/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: JSON.stringify(body),
  });
  const answer = await response.json();
  if (!response.ok) {
    throw new Error(`${answer.__type}: ${answer.message}`);
  }
  return answer;
}

const kinesis = (action, body = {}) => call('Kinesis_20131202', action, body);
const firehose = (action, body = {}) => call('Firehose_20150804', action, body);

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) {
    td.className = className;
  }
  return td;
}

/** Prometheus text to a map: "name{labels}" to value. */
function parseMetrics(text) {
  const values = new Map();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') {
      continue;
    }
    const at = line.lastIndexOf(' ');
    values.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return values;
}

function sum(values, name, label, value) {
  let total = 0;
  for (const [key, v] of values) {
    if (key.startsWith(`${name}{`) && key.includes(`${label}="${value}"`) && !key.includes('ShardId=')) {
      total += v;
    }
  }
  return total;
}

function max(values, name, label, value) {
  let best = 0;
  for (const [key, v] of values) {
    if (key.startsWith(`${name}{`) && key.includes(`${label}="${value}"`)) {
      best = Math.max(best, v);
    }
  }
  return best;
}

async function pollMetrics() {
  const values = parseMetrics(await (await fetch('/metrics')).text());
  const now = Date.now();
  const streams = [...document.querySelectorAll('#streams tbody tr')].map((r) => r.dataset.stream);
  for (const name of streams) {
    const totals = [sum(values, 'kinesis_IncomingBytes_total', 'StreamName', name),
      sum(values, 'kinesis_OutgoingBytes_total', 'StreamName', name)];
    const before = state.last?.get(name);
    const rates = before ? totals.map((t, i) => Math.max(0, (t - before.totals[i]) / ((now - before.at) / 1000)))
      : [0, 0];
    state.rates.set(name, rates);
    const history = state.history.get(name) ?? [];
    history.push(rates);
    state.history.set(name, history.slice(-HISTORY));
    (state.last ??= new Map()).set(name, { totals, at: now });
  }
  if (state.stream) {
    recordLag(values, state.stream);
  }
  return values;
}

/** Each consumer's latest MillisBehindLatest (its recent maximum) into its history, and into its table row. */
function recordLag(values, stream) {
  const prefix = 'kinesis_SubscribeToShardEvent_MillisBehindLatest_milliseconds_max{';
  const seen = new Map();
  for (const [key, v] of values) {
    const consumer = /ConsumerName="([^"]*)"/.exec(key)?.[1];
    if (key.startsWith(prefix) && key.includes(`StreamName="${stream}"`) && consumer) {
      seen.set(consumer, Math.max(seen.get(consumer) ?? 0, v));
    }
  }
  for (const [consumer, lag] of seen) {
    const history = state.lag.get(consumer) ?? [];
    history.push(lag);
    state.lag.set(consumer, history.slice(-HISTORY));
    const cellOf = document.querySelector(`#consumers tr[data-consumer="${CSS.escape(consumer)}"] td.lag`);
    if (cellOf) {
      cellOf.textContent = String(lag);
    }
  }
}

function drawLag() {
  const svg = $('#lag-chart');
  const series = [...state.lag.entries()];
  const top = Math.max(1, ...series.flatMap(([, h]) => h));
  let html = `<text x="4" y="12" font-size="11">${Math.round(top)} ms</text>`;
  const legend = $('#lag-legend');
  legend.replaceChildren();
  series.forEach(([consumer, history], i) => {
    const color = COLORS[i % COLORS.length];
    const points = history.map((v, x) => `${(x * 600) / (HISTORY - 1)},${150 - (v / top) * 140}`).join(' ');
    html += `<polyline data-consumer="${consumer.replace(/[^\w.-]/g, '')}" stroke="${color}" points="${points}"/>`;
    const label = document.createElement('span');
    label.textContent = `${consumer} `;
    label.style.color = color;
    legend.append(label);
  });
  svg.innerHTML = html;
}

function drawChart(name) {
  const svg = $('#throughput');
  const history = state.history.get(name) ?? [];
  const top = Math.max(1, ...history.flat());
  const points = (i) => history.map((r, x) => `${(x * 600) / (HISTORY - 1)},${150 - (r[i] / top) * 140}`).join(' ');
  svg.innerHTML = `<text x="4" y="12" font-size="11">${Math.round(top)} B/s</text>`
    + `<polyline class="in" points="${points(0)}"/><polyline class="out" points="${points(1)}"/>`;
}

/** Each shard a box in the column of its generation, a line to each parent. */
function drawLineage(shards) {
  const byId = new Map(shards.map((s) => [s.ShardId, s]));
  const depth = (s) => (s.ParentShardId && byId.has(s.ParentShardId) ? 1 + depth(byId.get(s.ParentShardId)) : 0);
  const columns = new Map();
  const place = new Map();
  for (const s of shards) {
    const d = depth(s);
    const row = columns.get(d) ?? 0;
    columns.set(d, row + 1);
    place.set(s.ShardId, { x: 10 + d * 190, y: 10 + row * 34 });
  }
  const svg = $('#lineage');
  const rows = Math.max(1, ...columns.values());
  svg.setAttribute('width', 20 + columns.size * 190);
  svg.setAttribute('height', 20 + rows * 34);
  let html = '';
  for (const s of shards) {
    const p = place.get(s.ShardId);
    for (const parent of [s.ParentShardId, s.AdjacentParentShardId]) {
      const q = parent && place.get(parent);
      if (q) {
        html += `<line x1="${q.x + 170}" y1="${q.y + 12}" x2="${p.x}" y2="${p.y + 12}"/>`;
      }
    }
    const closed = s.SequenceNumberRange?.EndingSequenceNumber !== undefined;
    html += `<rect class="${closed ? 'closed' : 'open'}" x="${p.x}" y="${p.y}" width="170" height="24" rx="4"/>`
      + `<text x="${p.x + 6}" y="${p.y + 16}">${s.ShardId.replace('shardId-', '')} ${closed ? 'closed' : 'open'}</text>`;
  }
  svg.innerHTML = html;
}

async function showStreams() {
  const names = (await kinesis('ListStreams', { Limit: 100 })).StreamNames;
  const body = $('#streams tbody');
  body.replaceChildren();
  for (const name of names) {
    const s = (await kinesis('DescribeStreamSummary', { StreamName: name })).StreamDescriptionSummary;
    const row = body.insertRow();
    row.dataset.stream = name;
    row.className = 'pick';
    const rates = state.rates.get(name) ?? [0, 0];
    [name, s.StreamStatus, s.StreamModeDetails?.StreamMode ?? '', s.OpenShardCount, Math.round(rates[0]),
      Math.round(rates[1])].forEach((v) => cell(row, String(v)));
    row.addEventListener('click', () => showStream(name));
  }
}

async function showStream(name) {
  if (state.stream !== name) {
    state.lag = new Map();
  }
  state.stream = name;
  $('#stream').hidden = false;
  $('#stream-name').textContent = name;
  const shards = (await kinesis('ListShards', { StreamName: name, ShardFilter: { Type: 'FROM_TRIM_HORIZON' } })).Shards;
  drawLineage(shards);
  $('#shard').replaceChildren(...shards.map((s) => new Option(s.ShardId)));
  const arn = (await kinesis('DescribeStreamSummary', { StreamName: name })).StreamDescriptionSummary.StreamARN;
  const consumers = (await kinesis('ListStreamConsumers', { StreamARN: arn })).Consumers ?? [];
  const body = $('#consumers tbody');
  body.replaceChildren();
  for (const c of consumers) {
    const row = body.insertRow();
    row.dataset.consumer = c.ConsumerName;
    [c.ConsumerName, c.ConsumerStatus, new Date(c.ConsumerCreationTimestamp * 1000).toISOString()]
      .forEach((v) => cell(row, v));
    const lag = state.lag.get(c.ConsumerName);
    cell(row, lag ? String(lag[lag.length - 1]) : '–', 'lag');
  }
  drawChart(name);
  drawLag();
}

function render(base64, as) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  if (as === 'hex') {
    return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  }
  const text = new TextDecoder().decode(bytes);
  if (as === 'json') {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch (e) {
      return `(not JSON) ${text}`;
    }
  }
  return text;
}

async function readPage(iterator) {
  const page = await kinesis('GetRecords', { ShardIterator: iterator, Limit: 25 });
  const body = $('#records tbody');
  body.replaceChildren();
  for (const r of page.Records) {
    const row = body.insertRow();
    cell(row, r.SequenceNumber);
    cell(row, new Date(r.ApproximateArrivalTimestamp * 1000).toISOString());
    cell(row, r.PartitionKey);
    cell(row, render(r.Data, $('#as').value), 'data');
  }
  state.iterator = page.NextShardIterator;
  $('#next').disabled = !state.iterator;
}

$('#browse').addEventListener('submit', async (event) => {
  event.preventDefault();
  const type = $('#position').value;
  const request = { StreamName: state.stream, ShardId: $('#shard').value, ShardIteratorType: type };
  if (type.endsWith('SEQUENCE_NUMBER')) {
    request.StartingSequenceNumber = $('#at').value.trim();
  } else if (type === 'AT_TIMESTAMP') {
    request.Timestamp = Date.parse($('#at').value.trim()) / 1000;
  }
  try {
    await readPage((await kinesis('GetShardIterator', request)).ShardIterator);
  } catch (e) {
    $('#status').textContent = e.message;
  }
});
$('#next').addEventListener('click', () => readPage(state.iterator));

async function showDeliveries(values) {
  const names = (await firehose('ListDeliveryStreams', { Limit: 100 })).DeliveryStreamNames;
  const body = $('#deliveries tbody');
  body.replaceChildren();
  for (const name of names) {
    const d = (await firehose('DescribeDeliveryStream', { DeliveryStreamName: name })).DeliveryStreamDescription;
    const destination = Object.keys(d.Destinations?.[0] ?? {}).find((k) => k.endsWith('DestinationDescription'));
    let delivered = 0;
    for (const [key, v] of values) {
      if (/^firehose_DeliveryTo\w+_Records_total\{/.test(key) && key.includes(`DeliveryStreamName="${name}"`)) {
        delivered += v;
      }
    }
    const row = body.insertRow();
    const last = max(values, 'millrace_firehose_last_delivery_timestamp_seconds', 'DeliveryStreamName', name);
    let freshness = 0;
    for (const [key, v] of values) {
      if (/^firehose_DeliveryTo\w+_DataFreshness\{/.test(key) && key.includes(`DeliveryStreamName="${name}"`)) {
        freshness = Math.max(freshness, v);
      }
    }
    [name, d.DeliveryStreamStatus, (destination ?? '').replace('DestinationDescription', ''),
      sum(values, 'firehose_IncomingRecords_total', 'DeliveryStreamName', name), delivered,
      last > 0 ? new Date(last * 1000).toISOString() : 'never',
      sum(values, 'millrace_firehose_delivery_failures_total', 'DeliveryStreamName', name), freshness]
      .forEach((v) => cell(row, String(v)));
  }
}

async function refresh() {
  try {
    await showStreams();
    const values = await pollMetrics();
    await showDeliveries(values);
    if (state.stream) {
      drawChart(state.stream);
      drawLag();
    }
    $('#status').textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (e) {
    $('#status').textContent = `cannot read: ${e.message}`;
  }
}

refresh();
setInterval(refresh, POLL_MILLIS);
