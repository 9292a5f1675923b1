import SwiftUI
import UIKit

/// A photo file on the phone (a picked file waiting to be attached, or the core's thumbnail of an attached photo).
struct LocalImage: View {
    let path: String
    var size: CGFloat = 64

    var body: some View {
        Group {
            if let image = UIImage(contentsOfFile: path) {
                Image(uiImage: image).resizable().scaledToFill()
            } else {
                Image(systemName: "photo").foregroundStyle(.secondary)
            }
        }
        .frame(width: size, height: size)
        .clipShape(RoundedRectangle(cornerRadius: 6))
    }
}
