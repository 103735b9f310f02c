import AssayCLI
import Foundation

exit(await AssayCommand.run())
