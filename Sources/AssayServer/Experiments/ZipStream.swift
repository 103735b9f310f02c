import Foundation
import NIOCore

/// Writes a ZIP archive entry by entry (stored, not compressed: results and
/// logs are small next to the artifact, and the download starts at once).
/// Each entry is whole in memory while it is written, the archive never is.
/// Limits of plain ZIP: fewer than 65,535 entries and 4 GiB.
struct ZipStream {
    /// The most entries a plain (non-ZIP64) archive holds.
    static let maxEntries = 65_534

    private struct CentralRecord {
        var name: [UInt8]
        var crc: UInt32
        var size: UInt32
        var offset: UInt32
    }

    private var records: [CentralRecord] = []
    private var offset: UInt32 = 0
    private let time: UInt16
    private let date: UInt16

    /// `modified` becomes every entry's MS-DOS time stamp (UTC).
    init(modified: Date) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: modified)
        let year = min(max((parts.year ?? 1980) - 1980, 0), 127)
        date = UInt16(year << 9 | (parts.month ?? 1) << 5 | (parts.day ?? 1))
        time = UInt16((parts.hour ?? 0) << 11 | (parts.minute ?? 0) << 5 | (parts.second ?? 0) / 2)
    }

    var entryCount: Int { records.count }

    /// The local header and bytes of one file.
    mutating func entry(named name: String, contents: [UInt8]) -> ByteBuffer {
        let nameBytes = Array(name.utf8)
        let record = CentralRecord(name: nameBytes, crc: CRC32.checksum(contents), size: UInt32(contents.count), offset: offset)
        records.append(record)
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(0x0403_4b50), endianness: .little)
        writeCommon(record, to: &buffer)
        buffer.writeInteger(UInt16(0), endianness: .little)  // extra field length
        buffer.writeBytes(nameBytes)
        buffer.writeBytes(contents)
        offset += UInt32(buffer.readableBytes)
        return buffer
    }

    /// The central directory and its end record, after the last entry.
    func finish() -> ByteBuffer {
        var buffer = ByteBuffer()
        for record in records {
            buffer.writeInteger(UInt32(0x0201_4b50), endianness: .little)
            buffer.writeInteger(UInt16(20), endianness: .little)  // made by: version 2.0
            writeCommon(record, to: &buffer)
            for _ in 0..<4 { buffer.writeInteger(UInt16(0), endianness: .little) }  // extra, comment, disk, internal attributes
            buffer.writeInteger(UInt32(0), endianness: .little)  // external attributes
            buffer.writeInteger(record.offset, endianness: .little)
            buffer.writeBytes(record.name)
        }
        let directorySize = UInt32(buffer.readableBytes)
        buffer.writeInteger(UInt32(0x0605_4b50), endianness: .little)
        buffer.writeInteger(UInt16(0), endianness: .little)
        buffer.writeInteger(UInt16(0), endianness: .little)
        buffer.writeInteger(UInt16(records.count), endianness: .little)
        buffer.writeInteger(UInt16(records.count), endianness: .little)
        buffer.writeInteger(directorySize, endianness: .little)
        buffer.writeInteger(offset, endianness: .little)
        buffer.writeInteger(UInt16(0), endianness: .little)  // comment length
        return buffer
    }

    /// Version needed … name length: the same in local and central headers.
    private func writeCommon(_ record: CentralRecord, to buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt16(20), endianness: .little)  // version needed
        buffer.writeInteger(UInt16(0x0800), endianness: .little)  // UTF-8 names
        buffer.writeInteger(UInt16(0), endianness: .little)  // stored
        buffer.writeInteger(time, endianness: .little)
        buffer.writeInteger(date, endianness: .little)
        buffer.writeInteger(record.crc, endianness: .little)
        buffer.writeInteger(record.size, endianness: .little)
        buffer.writeInteger(record.size, endianness: .little)
        buffer.writeInteger(UInt16(record.name.count), endianness: .little)
    }
}

/// CRC-32 (IEEE 802.3), as ZIP entries carry it.
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
