import Foundation
import ImageIO
import UIKit
import UniformTypeIdentifiers

/// Writes a photo the camera or the picker handed over to a file the core can ingest (JPEG or PNG). The core
/// copies it into its own media folder on save; until then it waits in the app's temporary folder.
enum PhotoFiles {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// A camera shot as JPEG. `jpegData` keeps the orientation tag; the core turns the picture upright.
    static func write(cameraImage image: UIImage) throws -> URL {
        guard let data = image.jpegData(compressionQuality: 0.9) else {
            throw Failure(description: "the camera's picture could not be encoded as JPEG")
        }
        return try write(data, extension: "jpg")
    }

    /// A picked photo: JPEG and PNG as they are (with their EXIF capture time and GPS, which the core reads);
    /// anything else ImageIO reads (HEIC from older pickers) re-encoded to JPEG with its metadata.
    static func write(picked data: Data) throws -> URL {
        guard let source = CGImageSourceCreateWithData(data as CFData, nil),
              let type = CGImageSourceGetType(source) as String?
        else { throw Failure(description: "the picked file is not an image") }
        switch type {
        case UTType.jpeg.identifier: return try write(data, extension: "jpg")
        case UTType.png.identifier: return try write(data, extension: "png")
        default: break
        }
        let url = try newFile(extension: "jpg")
        guard let destination = CGImageDestinationCreateWithURL(url as CFURL, UTType.jpeg.identifier as CFString, 1, nil) else {
            throw Failure(description: "no JPEG encoder")
        }
        let options = [kCGImageDestinationLossyCompressionQuality as String: 0.9] as CFDictionary
        CGImageDestinationAddImageFromSource(destination, source, 0, options)
        guard CGImageDestinationFinalize(destination) else {
            throw Failure(description: "the picked \(type) image could not be converted to JPEG")
        }
        return url
    }

    private static func write(_ data: Data, extension ext: String) throws -> URL {
        let url = try newFile(extension: ext)
        try data.write(to: url, options: .atomic)
        return url
    }

    private static func newFile(extension ext: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("incoming-photos", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(UUID().uuidString).appendingPathExtension(ext)
    }
}
