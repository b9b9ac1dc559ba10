-- Clicks per key in 10-second windows: from the stream clicks into the stream counts (README, "SQL applications").
SET 'table.local-time-zone' = 'UTC';
CREATE TABLE clicks (`key` STRING, ts BIGINT, event_time AS TO_TIMESTAMP_LTZ(ts, 3),
  WATERMARK FOR event_time AS event_time) WITH ('connector' = 'kinesis', 'stream' = 'clicks', 'format' = 'json',
  'scan.stream.initpos' = 'TRIM_HORIZON', 'aws.region' = 'us-east-1', 'aws.endpoint' = 'http://127.0.0.1:4567',
  'aws.credentials.provider' = 'BASIC', 'aws.credentials.basic.accesskeyid' = 'x',
  'aws.credentials.basic.secretkey' = 'x');
CREATE TABLE counts (`key` STRING, window_start STRING, clicks BIGINT) WITH ('connector' = 'kinesis',
  'stream' = 'counts', 'format' = 'json', 'sink.flush-buffer.timeout' = '200', 'aws.region' = 'us-east-1',
  'aws.endpoint' = 'http://127.0.0.1:4567', 'aws.credentials.provider' = 'BASIC',
  'aws.credentials.basic.accesskeyid' = 'x', 'aws.credentials.basic.secretkey' = 'x');
INSERT INTO counts SELECT `key`, DATE_FORMAT(window_start, 'yyyy-MM-dd HH:mm:ss'), COUNT(*)
  FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(event_time), INTERVAL '10' SECOND))
  GROUP BY `key`, window_start, window_end;
