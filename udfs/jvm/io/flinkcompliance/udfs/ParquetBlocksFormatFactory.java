package io.flinkcompliance.udfs;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.serialization.BulkWriter;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.connector.file.table.factories.BulkWriterFormatFactory;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.format.EncodingFormat;
import org.apache.flink.table.connector.sink.DynamicTableSink;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.factories.DynamicTableFactory;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.LogicalTypeRoot;
import org.apache.flink.table.types.logical.RowType;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.metadata.FileMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.io.DelegatingSeekableInputStream;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;
import org.apache.parquet.io.SeekableInputStream;
import org.apache.parquet.schema.MessageType;

/**
 * A filesystem sink's format ({@code 'format' = 'parquet-blocks'}) whose rows are whole Parquet
 * files already written elsewhere — one {@code BYTES} column, e.g. a batch of rows written by
 * pyarrow in a Python worker. Each part file gets their row groups as they are, copied byte for
 * byte (no decoding, no re-encoding, no statistics kept again), under one footer. Every file
 * appended to a part file must have the schema of its first one; a null row is skipped.
 *
 * <p>The streaming job's violations (~4 rows per record): the Python step has them as an Arrow
 * table already and writes them once per call, so the JVM does no per-violation work.
 */
public final class ParquetBlocksFormatFactory implements BulkWriterFormatFactory {
    public static final String IDENTIFIER = "parquet-blocks";

    @Override
    public EncodingFormat<BulkWriter.Factory<RowData>> createEncodingFormat(
            DynamicTableFactory.Context context, ReadableConfig formatOptions) {
        return new EncodingFormat<>() {
            @Override
            public BulkWriter.Factory<RowData> createRuntimeEncoder(
                    DynamicTableSink.Context sinkContext, DataType consumedDataType) {
                RowType rowType = (RowType) consumedDataType.getLogicalType();
                LogicalTypeRoot root = rowType.getFieldCount() == 1
                        ? rowType.getTypeAt(0).getTypeRoot() : null;
                if (root != LogicalTypeRoot.VARBINARY && root != LogicalTypeRoot.BINARY) {
                    throw new IllegalArgumentException(IDENTIFIER
                            + ": the sink's rows must be one BYTES column (a Parquet file each),"
                            + " not " + rowType);
                }
                return Writer::new;
            }

            @Override
            public ChangelogMode getChangelogMode() {
                return ChangelogMode.insertOnly();
            }
        };
    }

    @Override
    public String factoryIdentifier() {
        return IDENTIFIER;
    }

    @Override
    public Set<ConfigOption<?>> requiredOptions() {
        return Collections.emptySet();
    }

    @Override
    public Set<ConfigOption<?>> optionalOptions() {
        return Collections.emptySet();
    }

    /** One part file: the first file's schema and metadata, every file's row groups. */
    static final class Writer implements BulkWriter<RowData> {
        private final FSDataOutputStream out;
        private ParquetFileWriter writer;
        private MessageType schema;
        private Map<String, String> metadata;

        Writer(FSDataOutputStream out) {
            this.out = out;
        }

        @Override
        public void addElement(RowData row) throws IOException {
            if (row.isNullAt(0)) {
                return;
            }
            BytesFile file = new BytesFile(row.getBinary(0));
            try (ParquetFileReader reader = ParquetFileReader.open(file)) {
                ParquetMetadata footer = reader.getFooter();
                FileMetaData meta = footer.getFileMetaData();
                if (writer == null) {
                    schema = meta.getSchema();
                    metadata = meta.getKeyValueMetaData();
                    writer = new ParquetFileWriter(new StreamFile(out), schema,
                            ParquetFileWriter.Mode.CREATE, Long.MAX_VALUE, 0);
                    writer.start();
                } else if (!schema.equals(meta.getSchema())) {
                    throw new IOException(IDENTIFIER + ": a file of schema " + meta.getSchema()
                            + " after files of schema " + schema + " in one part file");
                }
                try (SeekableInputStream in = file.newStream()) {
                    writer.appendRowGroups(in, footer.getBlocks(), false);
                }
            }
        }

        @Override
        public void flush() {
            // Row groups are written whole as they come: nothing is buffered here.
        }

        @Override
        public void finish() throws IOException {
            if (writer != null) {
                writer.end(metadata);
            }
        }
    }

    /** A Parquet file held in memory. */
    static final class BytesFile implements InputFile {
        private final byte[] bytes;

        BytesFile(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public long getLength() {
            return bytes.length;
        }

        @Override
        public SeekableInputStream newStream() {
            Stream stream = new Stream(bytes);
            return new DelegatingSeekableInputStream(stream) {
                @Override
                public long getPos() {
                    return stream.position();
                }

                @Override
                public void seek(long position) {
                    stream.seek((int) position);
                }
            };
        }

        private static final class Stream extends ByteArrayInputStream {
            Stream(byte[] bytes) {
                super(bytes);
            }

            int position() {
                return pos;
            }

            void seek(int position) {
                pos = Math.min(Math.max(position, 0), count);
            }
        }
    }

    /** The part file's stream as Parquet's output (Flink's own adapter is package-private). */
    static final class StreamFile implements OutputFile {
        private final FSDataOutputStream out;

        StreamFile(FSDataOutputStream out) {
            this.out = out;
        }

        @Override
        public PositionOutputStream create(long blockSizeHint) {
            return new PositionOutputStream() {
                @Override
                public long getPos() throws IOException {
                    return out.getPos();
                }

                @Override
                public void write(int b) throws IOException {
                    out.write(b);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                }

                @Override
                public void flush() throws IOException {
                    out.flush();
                }

                @Override
                public void close() {
                    // The part file's stream is Flink's to close.
                }
            };
        }

        @Override
        public PositionOutputStream createOrOverwrite(long blockSizeHint) {
            return create(blockSizeHint);
        }

        @Override
        public boolean supportsBlockSize() {
            return false;
        }

        @Override
        public long defaultBlockSize() {
            return 0;
        }
    }
}
